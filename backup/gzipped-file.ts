import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** The compressed file's size and sha256, as a manifest lists them (checkable without decompressing). */
export interface GzippedFile {
  bytes: number;
  sha256: string;
}

/**
 * Writes text gzipped to `path`, flushed to disk before it resolves: an archive that proves what the business had
 * must survive a power cut. Callers write to a temporary name and rename, so an archive is either whole or absent.
 */
export async function writeGzippedFile(text: AsyncIterable<string>, path: string): Promise<GzippedFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    text,
    createGzip(),
    async function* (compressed: AsyncIterable<Buffer>) {
      for await (const chunk of compressed) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path, { flush: true }),
  );
  return { bytes, sha256: hash.digest('hex') };
}
