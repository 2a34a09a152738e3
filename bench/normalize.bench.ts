// `npx node bench/normalize.bench.ts [--entries N]`: what reading numbers the way people write them costs over
// bare libphonenumber-js, and what it gains, on the same generated corpus (100,000 entries by default).
import { parseArgs } from 'node:util';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { normalizePhone } from '../activities/clean/normalize-phone.ts';
import { CORPUS_REGIONS, phoneCorpus, type CorpusEntry } from '../test/phone-corpus/phone-corpus.ts';

const SEED = 2024;
const WARM_UP_PASSES = 2;
const ROUNDS = 5;
const TARGET_RATIO = 0.8;

interface NormalizeBenchResult {
  entries: number;
  /** Numbers per second through parsePhoneNumberFromString + isValid, and getType on the valid ones. */
  bareRate: number;
  normalizerRate: number;
  /** normalizerRate / bareRate */
  ratio: number;
  bareAccuracy: number;
  normalizerAccuracy: number;
}

/** The E.164 a reader accepted, or null when it rejected the entry. */
type Reader = (entry: CorpusEntry) => string | null;

// The normaliser reports a line type, so the bare baseline asks for it too.
const bare: Reader = (entry) => {
  const phone = parsePhoneNumberFromString(entry.raw, (entry.region ?? undefined) as CountryCode | undefined);
  if (!phone?.isValid()) return null;
  phone.getType();
  return phone.number;
};

const normalizer: Reader = (entry) => {
  const result = normalizePhone(entry.raw, entry.region);
  return result.accepted ? result.e164 : null;
};

async function runNormalizeBench(entries: number): Promise<NormalizeBenchResult> {
  const corpus = phoneCorpus({ seed: SEED, perRegion: Math.ceil(entries / CORPUS_REGIONS.length) });
  for (let pass = 0; pass < WARM_UP_PASSES; pass++) {
    timed(bare, corpus);
    timed(normalizer, corpus);
  }
  // Alternating rounds share out whatever else the machine is doing; the median discards the outliers.
  const bareSeconds: number[] = [];
  const normalizerSeconds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareSeconds.push(timed(bare, corpus));
    normalizerSeconds.push(timed(normalizer, corpus));
  }
  const bareRate = corpus.length / median(bareSeconds);
  const normalizerRate = corpus.length / median(normalizerSeconds);
  const result = {
    entries: corpus.length,
    bareRate,
    normalizerRate,
    ratio: normalizerRate / bareRate,
    bareAccuracy: accuracy(bare, corpus),
    normalizerAccuracy: accuracy(normalizer, corpus),
  };
  report(result);
  return result;
}

function timed(read: Reader, corpus: readonly CorpusEntry[]): number {
  let accepted = 0;
  const started = performance.now();
  for (const entry of corpus) if (read(entry) !== null) accepted++;
  const seconds = (performance.now() - started) / 1000;
  // Using the count keeps the loop from being optimised away.
  if (accepted > corpus.length) throw new Error('more accepted than read');
  return seconds;
}

/** Accepted with the expected E.164, or rejected when the entry must be. */
function accuracy(read: Reader, corpus: readonly CorpusEntry[]): number {
  return corpus.filter((entry) => read(entry) === entry.expected).length / corpus.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function report(result: NormalizeBenchResult): void {
  const rate = (perSecond: number) => `${Math.round(perSecond).toLocaleString('en-US')} numbers/s`.padStart(20);
  const percent = (share: number, digits = 2) => `${(share * 100).toFixed(digits)}%`;
  console.log(`normalizePhone against bare libphonenumber-js/max, ${result.entries.toLocaleString('en-US')} corpus entries (seed ${SEED}),`);
  console.log(`median of ${ROUNDS} alternating rounds after ${WARM_UP_PASSES} warm-up passes each`);
  console.log(`  bare            ${rate(result.bareRate)}   accuracy ${percent(result.bareAccuracy)}`);
  console.log('                  (parsePhoneNumberFromString + isValid, and getType on the valid ones as the normaliser reports the line type)');
  console.log(`  normalizePhone  ${rate(result.normalizerRate)}   accuracy ${percent(result.normalizerAccuracy)}`);
  const verdict = result.ratio >= TARGET_RATIO ? 'meets' : 'misses';
  console.log(`  ratio           ${percent(result.ratio, 1)} of bare (${verdict} the ${percent(TARGET_RATIO, 0)} target)`);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' } } });
  await runNormalizeBench(Number(values.entries));
}
