import type { FileLine } from './file-lines.ts';

/** What the lines from a record's first line on make of it. */
export type RecordRead =
  | { kind: 'fields'; values: string[]; lineCount: number }
  | { kind: 'broken'; reason: string; lineCount: number }
  /** A quoted value is still open at the last line offered. */
  | { kind: 'open' };

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'];

/** The candidate found most often outside quotes in the header line (the first listed on a tie; `,` if none). */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map(DELIMITER_CANDIDATES.map((candidate) => [candidate, 0]));
  let quoted = false;
  for (const character of headerLine) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character)) counts.set(character, counts.get(character)! + 1);
  }
  let best = ',';
  for (const [candidate, count] of counts) if (count > counts.get(best)!) best = candidate;
  return best;
}

/**
 * Reads the record that starts at `lines[start]`, going on into the lines before `end` while a quoted value
 * holds a line break. A value that starts with `"` (after spaces) runs to its closing quote, `""` standing for
 * one quote; elsewhere a quote is kept as written (exports write `5" screen`). Unquoted values are trimmed.
 */
export function readRecord(lines: readonly FileLine[], start: number, end: number, delimiter: string): RecordRead {
  let line = lines[start]!;
  let text = line.text;
  if (!text.includes('"')) return { kind: 'fields', values: text.split(delimiter).map((value) => value.trim()), lineCount: 1 };

  const values: string[] = [];
  let index = start;
  let at = 0;
  for (;;) {
    const opening = skipSpaces(text, at, delimiter);
    if (text[opening] !== '"') {
      const next = text.indexOf(delimiter, at);
      values.push(text.slice(at, next === -1 ? text.length : next).trim());
      if (next === -1) return { kind: 'fields', values, lineCount: index - start + 1 };
      at = next + delimiter.length;
      continue;
    }

    let value = '';
    let from = opening + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) {
        value += text.slice(from) + (line.crlf ? '\r\n' : '\n');
        index++;
        if (index >= end) return { kind: 'open' };
        line = lines[index]!;
        text = line.text;
        from = 0;
      } else if (text[quote + 1] === '"') {
        value += text.slice(from, quote + 1);
        from = quote + 2;
      } else {
        value += text.slice(from, quote);
        at = skipSpaces(text, quote + 1, delimiter);
        break;
      }
    }
    values.push(value);
    if (at === text.length) return { kind: 'fields', values, lineCount: index - start + 1 };
    if (!text.startsWith(delimiter, at)) return { kind: 'broken', reason: 'text after a closing quote', lineCount: index - start + 1 };
    at += delimiter.length;
  }
}

function skipSpaces(text: string, from: number, delimiter: string): number {
  let at = from;
  while ((text[at] === ' ' || text[at] === '\t') && text[at] !== delimiter) at++;
  return at;
}
