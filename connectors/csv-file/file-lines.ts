import { createReadStream } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { FileEncoding } from '../../workflows/migration-input.ts';

/** One physical line of a file, decoded on its own. */
export interface FileLine {
  /** 1-based. */
  number: number;
  /** The decoded text, without its line break. */
  text: string;
  /** The line ended in CR LF: a quoted value that goes on past it keeps the break as written. */
  crlf: boolean;
  /** Why the line cannot be read as written: not valid in the file's encoding, or NUL bytes. */
  problem: string | undefined;
}

export interface LineBatch {
  lines: FileLine[];
  /** What the lines read so far were: 'mixed' once both UTF-8 and Windows-1256 lines have been seen. */
  encoding: FileEncoding | 'mixed';
}

/** Large reads keep the per-chunk work (and the copy of a partial last line) rare. */
const CHUNK_BYTES = 1 << 20;

const BOMS: { bytes: number[]; encoding: FileEncoding }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/**
 * The file's physical lines, in batches as the file is read in chunks. The encoding is, in this order: the one
 * a BOM names (stripped), the one given, UTF-16 recognised by its NUL bytes, or else each line's own: UTF-8
 * when it is valid UTF-8, Windows-1256 otherwise (lines appended by different tools can differ). A UTF-8 BOM
 * keeps that per-line reading, since tools that append lines do not look at the BOM. Only an encoding given
 * by the caller makes a line that does not decode in it a problem.
 */
export async function* readFileLines(path: string, given: FileEncoding | undefined): AsyncGenerator<LineBatch> {
  let decoding: LineDecoding | undefined;
  let carry: Buffer = Buffer.alloc(0);
  let nextNumber = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    let bytes: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    if (decoding === undefined) {
      const bom = BOMS.find((candidate) => candidate.bytes.every((byte, index) => bytes[index] === byte));
      if (bom !== undefined) bytes = bytes.subarray(bom.bytes.length);
      decoding = new LineDecoding(bom?.encoding ?? given ?? utf16ByNulBytes(bytes), given !== undefined);
    }
    const end = decoding.endOfLastLine(bytes);
    carry = Buffer.from(bytes.subarray(end));
    if (end === 0) continue;
    const lines = decoding.lines(bytes.subarray(0, end), nextNumber);
    nextNumber += lines.length;
    yield { lines, encoding: decoding.seen() };
  }
  if (decoding !== undefined && carry.length > 0) {
    yield { lines: decoding.lines(carry, nextNumber, true), encoding: decoding.seen() };
  }
}

/**
 * UTF-16 written without a BOM shows as a NUL byte beside nearly every ASCII character, always on the same
 * side of the pair; stray NULs in an 8-bit file do not line up like that.
 */
function utf16ByNulBytes(bytes: Buffer): FileEncoding | undefined {
  const pairs = Math.min(bytes.length >> 1, 512);
  let nulFirst = 0;
  let nulSecond = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const first = bytes[2 * pair] === 0;
    const second = bytes[2 * pair + 1] === 0;
    if (first && !second) nulFirst++;
    if (second && !first) nulSecond++;
  }
  if (pairs < 2) return undefined;
  if (nulSecond >= pairs / 4 && nulFirst <= nulSecond / 10) return 'utf-16le';
  if (nulFirst >= pairs / 4 && nulSecond <= nulFirst / 10) return 'utf-16be';
  return undefined;
}

const windows1256 = new TextDecoder('windows-1256');

/** Decodes one encoding's lines; `undefined` encoding is the per-line UTF-8 / Windows-1256 reading. */
class LineDecoding {
  readonly #encoding: FileEncoding | undefined;
  readonly #strict: boolean;
  readonly #unitBytes: 1 | 2;
  readonly #lineBreak: Buffer;
  readonly #fatal: TextDecoder | undefined;
  readonly #loose: TextDecoder | undefined;
  #sawUtf8 = false;
  #saw1256 = false;

  constructor(encoding: FileEncoding | undefined, strict: boolean) {
    this.#encoding = encoding;
    this.#strict = strict;
    const utf16 = encoding === 'utf-16le' || encoding === 'utf-16be';
    this.#unitBytes = utf16 ? 2 : 1;
    this.#lineBreak = Buffer.from(encoding === 'utf-16le' ? [0x0a, 0] : encoding === 'utf-16be' ? [0, 0x0a] : [0x0a]);
    this.#fatal = utf16 ? new TextDecoder(encoding, { fatal: true }) : undefined;
    this.#loose = utf16 ? new TextDecoder(encoding) : undefined;
  }

  seen(): FileEncoding | 'mixed' {
    if (this.#encoding !== undefined && this.#encoding !== 'utf-8') return this.#encoding;
    if (this.#sawUtf8 && this.#saw1256) return 'mixed';
    return this.#saw1256 ? 'windows-1256' : 'utf-8';
  }

  /** The byte index just past the last line break in `bytes` (0 when there is none yet). */
  endOfLastLine(bytes: Buffer): number {
    let at = bytes.lastIndexOf(this.#lineBreak);
    // A UTF-16 line break starts on a code unit boundary; a match straddling two units is not one.
    while (at > 0 && at % this.#unitBytes !== 0) at = bytes.lastIndexOf(this.#lineBreak, at - 1);
    return at === -1 ? 0 : at + this.#lineBreak.length;
  }

  /** The lines of `bytes`, which ends with a line break unless it is the file's last line (`last`). */
  lines(bytes: Buffer, firstNumber: number, last = false): FileLine[] {
    const whole = this.#decode(bytes);
    const decoded = whole !== undefined ? whole.split('\n').map((text) => ({ text, problem: undefined })) : this.#decodeEachLine(bytes);
    if (!last) decoded.pop(); // the empty text after the final line break
    return decoded.map(({ text, problem }, index) => fileLine(text, firstNumber + index, problem));
  }

  /** The whole block when every line in it decodes cleanly: the common case, read in one call. */
  #decode(bytes: Buffer): string | undefined {
    switch (this.#encoding) {
      case 'windows-1256':
        return windows1256.decode(bytes);
      case 'utf-16le':
      case 'utf-16be':
        try {
          return this.#fatal!.decode(bytes);
        } catch {
          return undefined;
        }
      default:
        if (!isUtf8(bytes)) return undefined;
        if (!this.#sawUtf8 && !isAscii(bytes)) this.#sawUtf8 = true;
        return bytes.toString('utf8');
    }
  }

  #decodeEachLine(bytes: Buffer): { text: string; problem: string | undefined }[] {
    const decoded: { text: string; problem: string | undefined }[] = [];
    let start = 0;
    for (;;) {
      let end = bytes.indexOf(this.#lineBreak, start);
      while (end !== -1 && (end - start) % this.#unitBytes !== 0) end = bytes.indexOf(this.#lineBreak, end + 1);
      const line = bytes.subarray(start, end === -1 ? bytes.length : end);
      decoded.push(this.#decodeLine(line));
      if (end === -1) return decoded;
      start = end + this.#lineBreak.length;
    }
  }

  #decodeLine(line: Buffer): { text: string; problem: string | undefined } {
    const clean = this.#decode(line);
    if (clean !== undefined) return { text: clean, problem: undefined };
    if (this.#fatal !== undefined) return { text: this.#loose!.decode(line), problem: `not valid ${this.#encoding}` };
    if (this.#strict) return { text: line.toString('utf8'), problem: 'not valid utf-8' };
    this.#saw1256 = true;
    return { text: windows1256.decode(line), problem: undefined };
  }
}

function fileLine(raw: string, number: number, problem: string | undefined): FileLine {
  const crlf = raw.endsWith('\r');
  const text = crlf ? raw.slice(0, -1) : raw;
  return { number, text, crlf, problem: problem ?? (text.includes('\0') ? 'contains NUL bytes' : undefined) };
}
