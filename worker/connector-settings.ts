import { createContactsCheckClient, type ContactsCheckClient } from '../connectors/whatsapp/contacts-check-client.ts';
import { createHubSpotClient, type HubSpotClient } from '../connectors/hubspot/client.ts';
import { BURST_WINDOW_MS, PRO_BURST_LIMIT, type BurstLimit } from '../connectors/hubspot/burst-limit.ts';
import { createVonageReportsClient, type VonageReportsSettings } from '../connectors/vonage/reports-client.ts';
import { createPlivoMessagesClient, PLIVO_LIST_RATE, type PlivoSettings } from '../connectors/plivo/messages-client.ts';
import { createViberBotClient, type ViberBotSettings } from '../connectors/viber/bot-client.ts';
import type { SourceConnectors } from '../activities/extract/source-connectors.ts';
import type { RateLimit } from '../activities/extract/request-budget.ts';

export interface ConnectorSettings {
  whatsAppContacts: { baseUrl: string; token: string };
  hubspot: { baseUrl: string; token: string; burstLimit: BurstLimit };
  /** Source vendors are optional: a worker reads only the sources it has credentials for. */
  vonage?: VonageReportsSettings;
  plivo?: PlivoSettings & { listRate: RateLimit };
  viber?: ViberBotSettings;
}

/** Vendor endpoints and credentials from the environment; every missing or half-given one is named in a single error. */
export function connectorSettings(env: NodeJS.ProcessEnv = process.env): ConnectorSettings {
  const problems = ['WHATSAPP_CONTACTS_URL', 'WHATSAPP_CONTACTS_TOKEN', 'HUBSPOT_TOKEN'].filter((name) => !env[name]).map((name) => `${name} is missing`);
  for (const pair of [['VONAGE_API_KEY', 'VONAGE_API_SECRET'], ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN']] as const) {
    const given = pair.filter((name) => env[name]);
    if (given.length === 1) problems.push(`${pair.find((name) => !env[name])} is missing (${given[0]} is set)`);
  }
  // Empty counts as unset: docker-compose passes unset variables through as empty strings.
  const burst = wholeNumber(env, 'HUBSPOT_BURST_LIMIT', PRO_BURST_LIMIT.requests, problems);
  const plivoWindow = wholeNumber(env, 'PLIVO_LIST_WINDOW_MS', PLIVO_LIST_RATE.intervalMs, problems);
  if (problems.length > 0) throw new Error(`worker settings: ${problems.join('; ')} (see README.md, "Configuration")`);
  return {
    whatsAppContacts: { baseUrl: env.WHATSAPP_CONTACTS_URL!, token: env.WHATSAPP_CONTACTS_TOKEN! },
    hubspot: {
      baseUrl: env.HUBSPOT_BASE_URL || 'https://api.hubapi.com',
      token: env.HUBSPOT_TOKEN!,
      burstLimit: { requests: burst, intervalMs: BURST_WINDOW_MS },
    },
    vonage: env.VONAGE_API_KEY
      ? { baseUrl: env.VONAGE_BASE_URL || 'https://api.nexmo.com', apiKey: env.VONAGE_API_KEY, apiSecret: env.VONAGE_API_SECRET! }
      : undefined,
    plivo: env.PLIVO_AUTH_ID
      ? {
          baseUrl: env.PLIVO_BASE_URL || 'https://api.plivo.com',
          authId: env.PLIVO_AUTH_ID,
          authToken: env.PLIVO_AUTH_TOKEN!,
          listRate: { requests: PLIVO_LIST_RATE.requests, intervalMs: plivoWindow },
        }
      : undefined,
    viber: env.VIBER_AUTH_TOKEN ? { baseUrl: env.VIBER_BASE_URL || 'https://chatapi.viber.com/pa', authToken: env.VIBER_AUTH_TOKEN } : undefined,
  };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a whole number above 0, not "${env[name]}"`);
  return value;
}

export function createConnectors(settings: ConnectorSettings): { contactsCheck: ContactsCheckClient; hubspot: HubSpotClient; sources: SourceConnectors } {
  return {
    contactsCheck: createContactsCheckClient(settings.whatsAppContacts),
    hubspot: createHubSpotClient(settings.hubspot),
    sources: {
      vonage: settings.vonage && createVonageReportsClient(settings.vonage),
      plivo: settings.plivo && { client: createPlivoMessagesClient(settings.plivo), listRate: settings.plivo.listRate },
      viber: settings.viber && createViberBotClient(settings.viber),
    },
  };
}
