import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvFile } from './csv-file-reader.ts';
import type { CsvFileEntry, CsvFileOptions } from './csv-file-reader.ts';
import { windows1256 } from '../../test/support/windows-1256.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const utf16le = (text: string) => Buffer.from(text, 'utf16le');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

let folder: string;
let fileCount = 0;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'csv-file-reader-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function fixture(...parts: (string | Uint8Array)[]): string {
  const path = join(folder, `fixture-${++fileCount}.csv`);
  writeFileSync(path, Buffer.concat(parts.map((part) => (typeof part === 'string' ? utf8(part) : part))));
  return path;
}

async function read(path: string, options?: CsvFileOptions) {
  const entries: CsvFileEntry[] = [];
  for await (const entry of readCsvFile(path, options)) entries.push(entry);
  const [header, ...rest] = entries;
  if (header?.kind !== 'header') throw new Error('the header entry must come first');
  const rows = rest.flatMap((entry) => (entry.kind === 'row' ? [entry] : []));
  const broken = rest.flatMap((entry) => (entry.kind === 'broken' ? [entry] : []));
  return { header, rows, broken, lines: rows.map((row) => row.fileLine), fields: rows.map((row) => row.fields) };
}

async function failureOf(path: string): Promise<Error & { code?: string }> {
  try {
    for await (const entry of readCsvFile(path)) void entry;
  } catch (error) {
    return error as Error;
  }
  throw new Error(`reading ${path} did not fail`);
}

describe('CSV file encodings', () => {
  it('reads UTF-8 without a BOM, Arabic names included', async () => {
    const file = await read(fixture('phone,name\n+971501234567,أحمد\n+966501234567,Sara\n'));
    expect(file.header).toEqual({ kind: 'header', columns: ['phone', 'name'], delimiter: ',', encoding: 'utf-8' });
    expect(file.fields).toEqual([{ phone: '+971501234567', name: 'أحمد' }, { phone: '+966501234567', name: 'Sara' }]);
    expect(file.lines).toEqual([2, 3]);
  });

  it('strips a UTF-8 BOM, so the first column keeps its name', async () => {
    const file = await read(fixture(Uint8Array.of(0xef, 0xbb, 0xbf), 'phone,name\n+971501234567,ليلى\n'));
    expect(file.header.columns).toEqual(['phone', 'name']);
    expect(file.fields).toEqual([{ phone: '+971501234567', name: 'ليلى' }]);
  });

  it('reads UTF-16LE and UTF-16BE by their BOM, with Arabic names', async () => {
    const text = '\ufeffphone\tname\r\n+971501234567\tمحمد\r\n+971507654321\tفاطمة\r\n';
    for (const [bytes, encoding] of [[utf16le(text), 'utf-16le'], [utf16be(text), 'utf-16be']] as const) {
      const file = await read(fixture(bytes));
      expect(file.header).toEqual({ kind: 'header', columns: ['phone', 'name'], delimiter: '\t', encoding });
      expect(file.fields).toEqual([{ phone: '+971501234567', name: 'محمد' }, { phone: '+971507654321', name: 'فاطمة' }]);
      expect(file.broken).toEqual([]);
    }
  });

  it('recognises UTF-16LE written without a BOM by its NUL bytes', async () => {
    const file = await read(fixture(utf16le('phone,name\n+971501234567,سارة\n')));
    expect(file.header.encoding).toBe('utf-16le');
    expect(file.fields).toEqual([{ phone: '+971501234567', name: 'سارة' }]);
  });

  it('reads Windows-1256 Arabic names (Excel on Arabic Windows)', async () => {
    const file = await read(fixture(windows1256('phone,name,city\n+971501234567,محمد,دبي\n+966501234567,علي,الرياض\n')));
    expect(file.header.encoding).toBe('windows-1256');
    expect(file.fields).toEqual([
      { phone: '+971501234567', name: 'محمد', city: 'دبي' },
      { phone: '+966501234567', name: 'علي', city: 'الرياض' },
    ]);
  });

  it('reads each line of a file mixing UTF-8 and Windows-1256 lines in its own encoding', async () => {
    const path = fixture(
      'phone,name\n',
      '+971501234567,أحمد\n',
      windows1256('+971502222222,محمد\n'),
      '+971503333333,Zoë\n',
      windows1256('+971504444444,فاطمة\n'),
    );
    const file = await read(path);
    expect(file.header.encoding).toBe('mixed');
    expect(file.fields.map((fields) => fields.name)).toEqual(['أحمد', 'محمد', 'Zoë', 'فاطمة']);
    expect(file.broken).toEqual([]);
  });

  it('quarantines a line that is not in the encoding the source names', async () => {
    const file = await read(fixture('phone,name\n+971501234567,أحمد\n', windows1256('+971502222222,محمد\n'), '+971503333333,Ali\n'), {
      encoding: 'utf-8',
    });
    expect(file.fields.map((fields) => fields.name)).toEqual(['أحمد', 'Ali']);
    expect(file.broken).toMatchObject([{ fileLine: 3, reason: 'not valid utf-8' }]);
  });

  it('quarantines a line with NUL bytes', async () => {
    const file = await read(fixture('phone,name\n+971501234567,A\u0000li\n+971503333333,Omar\n'));
    expect(file.broken).toMatchObject([{ fileLine: 2, reason: 'contains NUL bytes' }]);
    expect(file.fields).toEqual([{ phone: '+971503333333', name: 'Omar' }]);
  });
});

describe('CSV file delimiters and quoting', () => {
  it('detects ";", tab and "|" from the header line, and takes a delimiter given instead', async () => {
    for (const delimiter of [';', '\t', '|']) {
      const file = await read(fixture(`phone${delimiter}name${delimiter}note\n+971501234567${delimiter}Ali${delimiter}a,b\n`));
      expect(file.header.delimiter).toBe(delimiter);
      expect(file.fields).toEqual([{ phone: '+971501234567', name: 'Ali', note: 'a,b' }]);
    }
    const given = await read(fixture('phone;name\n+971501234567;Ali,Omar\n'), { delimiter: ',' });
    expect(given.header.columns).toEqual(['phone;name']);
  });

  it('reads quoted delimiters, doubled quotes and new lines, and counts the lines they span', async () => {
    const path = fixture(
      'phone,name,note\n',
      '+971501111111,"Haddad, Rami","said ""call me""\nafter 5pm\non weekdays"\n',
      '+971502222222, Omar ,"  spaced inside  "\n',
      '+971503333333,Lina,5" screen\n',
      '+971504444444,"Sami"  ,""\n',
    );
    const file = await read(path);
    expect(file.fields).toEqual([
      { phone: '+971501111111', name: 'Haddad, Rami', note: 'said "call me"\nafter 5pm\non weekdays' },
      { phone: '+971502222222', name: 'Omar', note: '  spaced inside  ' },
      { phone: '+971503333333', name: 'Lina', note: '5" screen' },
      { phone: '+971504444444', name: 'Sami', note: '' },
    ]);
    expect(file.lines).toEqual([2, 5, 6, 7]);
  });

  it('quarantines text after a closing quote and reads on at the next line', async () => {
    const file = await read(fixture('phone,name\n+971501111111,"Rami" Haddad\n+971502222222,Omar\n'));
    expect(file.broken).toEqual([
      { kind: 'broken', fileLine: 2, reason: 'text after a closing quote', content: '+971501111111,"Rami" Haddad' },
    ]);
    expect(file.lines).toEqual([3]);
  });

  it('quarantines only the line of a quote left open mid-file, and keeps every later row', async () => {
    const path = fixture(
      'phone,name,note\n',
      '+971501111111,Rami,ok\n',
      '+971502222222,"Omar,never closed\n',
      '+971503333333,Lina,ok\n',
      '+971504444444,Sami,"two\nlines"\n',
      '+971505555555,Huda,ok\n',
    );
    const file = await read(path);
    expect(file.broken).toEqual([
      { kind: 'broken', fileLine: 3, reason: 'unclosed quote', content: '+971502222222,"Omar,never closed' },
    ]);
    expect(file.fields.map((fields) => fields.name)).toEqual(['Rami', 'Lina', 'Sami', 'Huda']);
    expect(file.lines).toEqual([2, 4, 5, 7]);
  });

  it('takes a quote still open 100 lines on as a stray quote, and keeps the rows it ran into', async () => {
    const rows = Array.from({ length: 150 }, (_, index) => `+9715${String(index).padStart(8, '0')},Name ${index}\n`);
    const file = await read(fixture('phone,name\n', '+971500000000,"stray\n', ...rows, '+971509999999,closed"\n'));
    expect(file.broken.map((entry) => [entry.fileLine, entry.reason])).toEqual([[2, 'unclosed quote']]);
    expect(file.rows).toHaveLength(151);
    expect(file.rows.at(-1)).toMatchObject({ fileLine: 153, fields: { phone: '+971509999999', name: 'closed"' } });
  });

  it('takes a quote whose closing makes a broken record as a stray quote, and keeps the rows it ran into', async () => {
    const path = fixture('phone,name\n', '+971501111111,"Rami\n', '+971502222222,Omar\n', '+971503333333,"Lina"\n');
    const file = await read(path);
    expect(file.broken).toEqual([{ kind: 'broken', fileLine: 2, reason: 'unclosed quote', content: '+971501111111,"Rami' }]);
    expect(file.fields).toEqual([{ phone: '+971502222222', name: 'Omar' }, { phone: '+971503333333', name: 'Lina' }]);
  });

  it('quarantines rows with more or fewer fields than the header, skipping empty lines', async () => {
    const path = fixture(
      'a,b,c,d,e\n',
      '1,2,3,4,5\n',
      '1,2,3,4,5,6,7\n',
      '\n',
      '1,2,3\n',
      '1,2,3,4,5\n',
    );
    const file = await read(path);
    expect(file.broken).toEqual([
      { kind: 'broken', fileLine: 3, reason: '7 fields where the header has 5', content: '1,2,3,4,5,6,7' },
      { kind: 'broken', fileLine: 5, reason: '3 fields where the header has 5', content: '1,2,3' },
    ]);
    expect(file.lines).toEqual([2, 6]);
  });

  it('reads CRLF files, keeping a quoted line break as written', async () => {
    const file = await read(fixture('phone,name,note\r\n+971501111111,Rami,"a\r\nb"\r\n\r\n+971502222222,Omar,c\r\n'));
    expect(file.fields).toEqual([
      { phone: '+971501111111', name: 'Rami', note: 'a\r\nb' },
      { phone: '+971502222222', name: 'Omar', note: 'c' },
    ]);
    expect(file.lines).toEqual([2, 5]);
  });

  it('reads a record whose quoted new line falls across the boundary of two chunks', async () => {
    const filler = Array.from({ length: 30_000 }, (_, index) => `+9715${String(index).padStart(8, '0')},Name ${index},note\n`);
    const fillerBytes = filler.join('').length;
    const path = fixture('phone,name,note\n', ...filler, `+971509999999,"Long\n${'x'.repeat(2 ** 20 - fillerBytes)}\nvalue",end\n`, '+971508888888,Last,note\n');
    const file = await read(path);
    expect(file.broken).toEqual([]);
    expect(file.rows).toHaveLength(30_002);
    expect(file.rows.at(-2)?.fields.note).toBe('end');
    expect(file.lines.slice(-2)).toEqual([30_002, 30_005]);
  });
});

describe('CSV file headers', () => {
  it('trims the header names', async () => {
    const file = await read(fixture(' phone , "name" \n+971501111111,Rami\n'));
    expect(file.header.columns).toEqual(['phone', 'name']);
  });

  it('refuses an empty file, a file without a header line and duplicate header names, naming the file', async () => {
    const empty = fixture('');
    expect((await failureOf(empty)).message).toContain(empty);
    const headerless = fixture('+971501111111,Rami\n+971502222222,Omar\n');
    expect((await failureOf(headerless)).message).toMatch(new RegExp(`^${headerless} has no header line`));
    const duplicates = fixture('phone,name,Name,name\n+971501111111,Rami,R,R\n');
    expect((await failureOf(duplicates)).message).toBe(`${duplicates}: the header names "name" more than once`);
  });

  it('passes on the file system error for a missing file', async () => {
    const missing = join(folder, 'missing.csv');
    expect(await failureOf(missing)).toMatchObject({ code: 'ENOENT', path: missing });
  });
});

describe('CSV row fingerprints', () => {
  it('are the same on every read of an unchanged file, and distinct for duplicate rows', async () => {
    const path = fixture('phone,name\n+971501111111,Rami\n+971502222222,Omar\n+971501111111,Rami\n');
    const first = (await read(path)).rows.map((row) => row.fingerprint);
    const second = (await read(path)).rows.map((row) => row.fingerprint);
    expect(second).toEqual(first);
    expect(first[0]).toMatch(/^[0-9a-f]{32}#1$/);
    expect(first[1]).toMatch(/#1$/);
    expect(first[2]).toBe(first[0]!.replace('#1', '#2'));
  });
});

describe('a CSV with broken rows, mixed encodings and Arabic names', () => {
  it('imports with every good row kept and every bad row in quarantine with its line number', async () => {
    const good = [
      { line: 2, bytes: utf8('+971501111111,أحمد,AE\n'), name: 'أحمد' },
      { line: 3, bytes: windows1256('+971502222222,محمد,AE\n'), name: 'محمد' },
      { line: 6, bytes: utf8('+966503333333,"نور, الهدى",SA\n'), name: 'نور, الهدى' },
      { line: 7, bytes: windows1256('+966504444444,فاطمة,SA\n'), name: 'فاطمة' },
      { line: 9, bytes: utf8('+971505555555,"سارة\nالعلي",AE\r\n'), name: 'سارة\nالعلي' },
      { line: 12, bytes: windows1256('+971506666666,علي,AE\n'), name: 'علي' },
      { line: 13, bytes: utf8('+971507777777,Ömer,TR\n'), name: 'Ömer' },
    ];
    const bad = [
      { line: 4, bytes: utf8('+971508888888,"ليلى,AE\n'), reason: 'unclosed quote' },
      { line: 5, bytes: windows1256('+971509999999,سمير\n'), reason: '2 fields where the header has 3' },
      { line: 8, bytes: utf8('+971500000001,"Rami" H,AE\n'), reason: 'text after a closing quote' },
      { line: 11, bytes: utf8('+971500000002,Hu\u0000da,AE\n'), reason: 'contains NUL bytes' },
    ];
    const lines = [...good, ...bad].sort((a, b) => a.line - b.line);
    const path = fixture('phone,name,country\n', ...lines.map((line) => line.bytes));

    const file = await read(path);
    expect(file.header).toMatchObject({ columns: ['phone', 'name', 'country'], encoding: 'mixed' });
    expect(file.rows.map((row) => [row.fileLine, row.fields.name])).toEqual(good.map((row) => [row.line, row.name]));
    expect(file.broken.map((entry) => [entry.fileLine, entry.reason])).toEqual(bad.map((row) => [row.line, row.reason]));
  });
});
