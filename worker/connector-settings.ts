import { createContactsCheckClient, type ContactsCheckClient } from '../connectors/whatsapp/contacts-check-client.ts';
import { createHubSpotClient, type HubSpotClient } from '../connectors/hubspot/client.ts';
import { BURST_WINDOW_MS, PRO_BURST_LIMIT, type BurstLimit } from '../connectors/hubspot/burst-limit.ts';

export interface ConnectorSettings {
  whatsAppContacts: { baseUrl: string; token: string };
  hubspot: { baseUrl: string; token: string; burstLimit: BurstLimit };
}

/** Vendor endpoints and credentials from the environment; every missing one is named in a single error. */
export function connectorSettings(env: NodeJS.ProcessEnv = process.env): ConnectorSettings {
  const missing = ['WHATSAPP_CONTACTS_URL', 'WHATSAPP_CONTACTS_TOKEN', 'HUBSPOT_TOKEN'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`missing settings for the worker: ${missing.join(', ')} (see README.md, "Configuration")`);
  // Empty counts as unset: docker-compose passes unset variables through as empty strings.
  const burst = Number(env.HUBSPOT_BURST_LIMIT || PRO_BURST_LIMIT.requests);
  if (!Number.isInteger(burst) || burst < 1) throw new Error(`HUBSPOT_BURST_LIMIT: a whole number of requests per 10 seconds, not "${env.HUBSPOT_BURST_LIMIT}"`);
  return {
    whatsAppContacts: { baseUrl: env.WHATSAPP_CONTACTS_URL!, token: env.WHATSAPP_CONTACTS_TOKEN! },
    hubspot: {
      baseUrl: env.HUBSPOT_BASE_URL || 'https://api.hubapi.com',
      token: env.HUBSPOT_TOKEN!,
      burstLimit: { requests: burst, intervalMs: BURST_WINDOW_MS },
    },
  };
}

export function createConnectors(settings: ConnectorSettings): { contactsCheck: ContactsCheckClient; hubspot: HubSpotClient } {
  return {
    contactsCheck: createContactsCheckClient(settings.whatsAppContacts),
    hubspot: createHubSpotClient(settings.hubspot),
  };
}
