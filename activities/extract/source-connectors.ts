import { ApplicationFailure } from '@temporalio/common';
import type { VonageReportsClient } from '../../connectors/vonage/reports-client.ts';
import type { PlivoMessagesClient } from '../../connectors/plivo/messages-client.ts';
import type { ViberBotClient } from '../../connectors/viber/bot-client.ts';
import type { RateLimit } from './request-budget.ts';

/** The vendor clients sources are read through; one is absent when the worker has no credentials for it. */
export interface SourceConnectors {
  vonage?: VonageReportsClient;
  plivo?: { client: PlivoMessagesClient; listRate: RateLimit };
  viber?: ViberBotClient;
}

/** A source whose vendor the worker has no credentials for cannot be read by retrying: say which settings are missing. */
export function requireConnector<T>(connector: T | undefined, source: string, settings: string): T {
  if (connector !== undefined) return connector;
  throw ApplicationFailure.nonRetryable(`source "${source}" needs the worker's ${settings} (see README.md, "Configuration")`, 'MissingSettings');
}
