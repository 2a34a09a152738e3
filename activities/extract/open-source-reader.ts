import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { Source } from '../../workflows/migration-input.ts';
import { csvSourceReader } from './csv-source-reader.ts';
import { plivoSourceReader } from './plivo-source-reader.ts';
import type { RateLimit, RequestBudget } from './request-budget.ts';
import { requireConnector, type SourceConnectors } from './source-connectors.ts';
import type { ExtractionPass, SourceReader } from './source-reader.ts';
import { viberSourceReader } from './viber-source-reader.ts';
import { vonageReportFileReader } from './vonage-report-file-reader.ts';
import { vonageSourceReader } from './vonage-source-reader.ts';

export interface ReaderContext {
  db: Kysely<Database>;
  connectors: SourceConnectors;
  pass: ExtractionPass;
  budget(limit: RateLimit): RequestBudget;
  clock: () => Date;
}

export function openSourceReader(source: Source, context: ReaderContext): SourceReader {
  switch (source.kind) {
    case 'csv':
      return csvSourceReader(source);
    case 'vonage-report-file':
      return vonageReportFileReader(source);
    case 'vonage':
      return vonageSourceReader(source, { ...context, client: requireConnector(context.connectors.vonage, source.name, 'VONAGE_API_KEY and VONAGE_API_SECRET') });
    case 'plivo':
      return plivoSourceReader(source, { ...context, ...requireConnector(context.connectors.plivo, source.name, 'PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN') });
    case 'viber':
      return viberSourceReader(source, { ...context, bot: context.connectors.viber });
  }
}

/**
 * The bounds of a new pass: the first reads the source's whole period (an API source's `from`/`to`), a later one
 * what changed since the last pass's watermark, up to now.
 */
export function passBounds(source: Source, watermark: Date | null, now: Date): ExtractionPass {
  if (watermark !== null) return { since: watermark, until: now };
  if (source.kind === 'vonage' || source.kind === 'plivo') {
    return { since: new Date(source.from), until: source.to ? new Date(source.to) : now };
  }
  return { since: null, until: now };
}
