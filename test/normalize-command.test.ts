import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelshift, finished } from './support/worker-process.ts';

const customers = `name,Mobile,Country
Ahmed,050 123 4567,AE
"Sara, K",00966551234567,SA
Bad,12,AE
Lena,+48 512 345 678,
"Multi
line",٠٥٠١٢٣٤٥٦٧,AE
`;

describe('channelshift normalize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'channelshift-normalize-'));

  it('copies the CSV with e164, line_type and reject_reason added, reading the country column then the default', async () => {
    writeFileSync(join(dir, 'in.csv'), customers);
    const out = join(dir, 'out.csv');
    const run = await finished(
      channelshift(['normalize', '--input', join(dir, 'in.csv'), '--column', 'Mobile', '--country-column', 'Country', '--default-country', 'pl', '--out', out], process.env),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('5 rows: 4 with an E.164 number, 1 rejected');
    expect(readFileSync(out, 'utf8')).toBe(`name,Mobile,Country,e164,line_type,reject_reason
Ahmed,050 123 4567,AE,+971501234567,mobile,
"Sara, K",00966551234567,SA,+966551234567,mobile,
Bad,12,AE,,,too_short
Lena,+48 512 345 678,,+48512345678,mobile,
"Multi
line",٠٥٠١٢٣٤٥٦٧,AE,+971501234567,mobile,
`);
  });

  it('names the missing column', async () => {
    writeFileSync(join(dir, 'in.csv'), customers);
    const run = await finished(channelshift(['normalize', '--input', join(dir, 'in.csv'), '--column', 'Phone', '--out', join(dir, 'x.csv')], process.env));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no column "Phone" in the header (name, Mobile, Country)');
  });
});
