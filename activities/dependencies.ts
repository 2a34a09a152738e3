import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { ContactsCheckClient } from '../connectors/whatsapp/contacts-check-client.ts';
import type { HubSpotClient } from '../connectors/hubspot/client.ts';
import type { SourceConnectors } from './extract/source-connectors.ts';

/** What activities reach the outside world through; given to the factory so tests and the demo choose it. */
export interface ActivityDependencies {
  db: Kysely<Database>;
  contactsCheck: ContactsCheckClient;
  hubspot: HubSpotClient;
  sources: SourceConnectors;
  clock: () => Date;
}
