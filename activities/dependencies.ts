import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { ContactsCheckClient } from '../connectors/whatsapp/contacts-check-client.ts';
import type { CrmClient, CrmName } from '../connectors/crm-contact.ts';
import type { SourceConnectors } from './extract/source-connectors.ts';
import type { MessagingConnectors } from './opt-in/messaging-connectors.ts';
import type { CarrierLookup } from '../connectors/carrier-lookup.ts';
import type { WhatsAppTemplatesClient } from '../connectors/whatsapp/templates-client.ts';

/** What activities reach the outside world through; given to the factory so tests and the demo choose it. */
export interface ActivityDependencies {
  db: Kysely<Database>;
  /** The legacy contacts check, for a provider that still offers one. */
  contactsCheck?: ContactsCheckClient;
  /** Carrier lookups the verification may use, by vendor. */
  carrierLookups: { plivo?: CarrierLookup; vonage?: CarrierLookup };
  /** The CRMs this worker can write to; a migration names the ones it syncs. */
  crms: Partial<Record<CrmName, CrmClient>>;
  sources: SourceConnectors;
  messaging: MessagingConnectors;
  /** Meta's template management for the business account, to submit converted templates for review. */
  whatsAppTemplates?: WhatsAppTemplatesClient;
  clock: () => Date;
}
