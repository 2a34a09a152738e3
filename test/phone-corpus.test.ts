import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../activities/clean/normalize-phone.ts';
import { CORPUS_REGIONS, phoneCorpus, type CorpusEntry } from './phone-corpus/phone-corpus.ts';

// 48 regions × 420 = 20,160 entries per corpus.
const PER_REGION = 420;
const REQUIRED_ACCURACY = 0.999;
const EXAMPLES_PER_FORM = 3;

interface Outcome {
  entry: CorpusEntry;
  /** The E.164 the normaliser accepted, or its reject reason. */
  got: string;
  verdict: 'right' | 'wrong_number' | 'missed';
}

function outcome(entry: CorpusEntry): Outcome {
  const result = normalizePhone(entry.raw, entry.region);
  const got = result.accepted ? result.e164 : result.reason;
  if (result.accepted ? result.e164 === entry.expected : entry.expected === null) return { entry, got, verdict: 'right' };
  // Accepting anything but the number meant, an invalid entry included, is worse than rejecting it.
  return { entry, got, verdict: result.accepted ? 'wrong_number' : 'missed' };
}

/** Failures by way of writing, with a few examples each, so a developer sees which readings go astray. */
function failureTable(failures: readonly Outcome[], total: number): string {
  const byForm = new Map<string, Outcome[]>();
  for (const failure of failures) byForm.set(failure.entry.form, [...(byForm.get(failure.entry.form) ?? []), failure]);
  const lines = [`${failures.length} failing entries of ${total}`, 'form                             wrong  missed'];
  for (const [form, outcomes] of [...byForm].sort(([a], [b]) => a.localeCompare(b))) {
    const wrong = outcomes.filter((o) => o.verdict === 'wrong_number').length;
    lines.push(`${form.padEnd(32)} ${String(wrong).padStart(5)}  ${String(outcomes.length - wrong).padStart(6)}`);
    for (const { entry, got } of outcomes.slice(0, EXAMPLES_PER_FORM)) {
      lines.push(`    ${JSON.stringify(entry.raw)} in ${entry.region ?? 'no region'}: got ${got}, expected ${entry.expected ?? 'rejection'}`);
    }
  }
  return lines.join('\n');
}

describe.each([
  ['seed 1', 1],
  ['a corpus it has not seen (seed 7919)', 7919],
])('normalizePhone on the phone corpus, %s', (_name, seed) => {
  const outcomes = phoneCorpus({ seed, perRegion: PER_REGION }).map(outcome);
  const failures = outcomes.filter((o) => o.verdict !== 'right');

  it('covers at least 20,000 entries from 40 regions', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(20_000);
    expect(CORPUS_REGIONS.length).toBeGreaterThanOrEqual(40);
  });

  it('never accepts a number other than the one meant', () => {
    const wrong = failures.filter((o) => o.verdict === 'wrong_number');
    expect(wrong.length, failureTable(wrong, outcomes.length)).toBe(0);
  });

  it(`reads at least ${REQUIRED_ACCURACY * 100}% of entries right`, () => {
    const accuracy = 1 - failures.length / outcomes.length;
    expect(accuracy, failureTable(failures, outcomes.length)).toBeGreaterThanOrEqual(REQUIRED_ACCURACY);
  });
});
