import { readVonageReportFile } from '../../connectors/vonage/report-file.ts';
import { vonageRecordToSourceRecord } from '../../connectors/vonage/record-mapping.ts';
import type { VonageReportFileSource } from '../../workflows/migration-input.ts';
import type { SourceRecord } from './source-record.ts';
import { RECORDS_PER_PAGE, type SourcePage, type SourceReader } from './source-reader.ts';
import { readingOrUnreadable } from './source-unreadable.ts';

/** A Vonage report a user downloaded (its CSV, or the zip it came in), imported as it is. */
export function vonageReportFileReader(source: VonageReportFileSource): SourceReader {
  return {
    file: source.path,
    async *pages(cursor): AsyncIterable<SourcePage> {
      const afterLine = (cursor as { afterLine: number } | null)?.afterLine ?? 0;
      let records: SourceRecord[] = [];
      let lastLine = afterLine;
      for await (const { record, line } of readingOrUnreadable(source.name, source.path, readVonageReportFile(source.path))) {
        if (line <= afterLine) continue;
        records.push(vonageRecordToSourceRecord(record, line));
        lastLine = line;
        if (records.length === RECORDS_PER_PAGE) {
          yield { records, quarantined: [], cursor: { afterLine: lastLine } };
          records = [];
        }
      }
      if (records.length > 0) yield { records, quarantined: [], cursor: { afterLine: lastLine } };
    },
  };
}
