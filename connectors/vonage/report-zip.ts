import { Unzip, UnzipInflate } from 'fflate';

/**
 * The bytes of the CSV inside a Vonage report zip, as the zip streams in: a report can hold millions of
 * records, so neither the zip nor the CSV is ever held whole.
 */
export async function* unzipReportCsv(zip: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const inflated: Uint8Array[] = [];
  let found = false;
  let ended = false;
  let failure: Error | null = null;
  const unzip = new Unzip((file) => {
    // Vonage puts one `report_<PRODUCT>_<ACCOUNT_ID>_<yyyyMMdd>.csv` in the zip; anything else is skipped.
    if (found || !file.name.toLowerCase().endsWith('.csv')) return;
    found = true;
    file.ondata = (error, data, final) => {
      if (error !== null) failure = new Error(`the CSV in the zip (${file.name}) cannot be inflated: ${error.message}`);
      else if (data.length > 0) inflated.push(data);
      if (final) ended = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);

  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      unzip.push(chunk, final);
    } catch (error) {
      throw new Error(`not a readable zip: ${(error as Error).message}`);
    }
    if (failure !== null) throw failure;
  };
  for await (const chunk of zip) {
    push(chunk, false);
    yield* inflated.splice(0);
  }
  push(new Uint8Array(0), true);
  yield* inflated.splice(0);
  if (!found) throw new Error('the zip holds no CSV file');
  if (!ended) throw new Error('the zip ends before the CSV inside it does');
}
