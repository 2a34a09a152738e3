import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { readVonageReportCsv } from './report-csv.ts';
import type { VonageRecord } from './reports-client.ts';
import { unzipReportCsv } from './report-zip.ts';

const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

/**
 * Reads a Vonage report saved to disk: the zip Vonage delivers, or the CSV taken out of it. Which one is told
 * by the content, not the name, so a renamed file still reads.
 */
export async function* readVonageReportFile(path: string): AsyncIterable<{ record: VonageRecord; line: number }> {
  try {
    const zipped = await startsWithZipSignature(path);
    const file = createReadStream(path);
    try {
      yield* readVonageReportCsv(zipped ? unzipReportCsv(file) : file);
    } finally {
      file.destroy();
    }
  } catch (error) {
    throw unreadable(path, error);
  }
}

async function startsWithZipSignature(path: string): Promise<boolean> {
  const file = await open(path);
  try {
    const { bytesRead, buffer } = await file.read(Buffer.alloc(ZIP_SIGNATURE.length), 0, ZIP_SIGNATURE.length, 0);
    return bytesRead === ZIP_SIGNATURE.length && buffer.equals(ZIP_SIGNATURE);
  } finally {
    await file.close();
  }
}

/** A saved file will not mend itself: the import fails for good, saying which file and why. */
function unreadable(path: string, error: unknown): ApplicationFailure {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'the file does not exist' : redactPhoneNumbers((error as Error).message ?? String(error));
  return ApplicationFailure.nonRetryable(
    `${path} cannot be read as a Vonage report (a report .csv, or the .zip Vonage delivers): ${reason}`,
    'VonageReportUnreadable',
  );
}
