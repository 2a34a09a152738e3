import { startContactsCheckEmulator, type ContactsCheckEmulator, type ContactsCheckEmulatorOptions } from '../connectors/whatsapp/contacts-check-emulator.ts';
import { PRO_BURST_LIMIT } from '../connectors/hubspot/burst-limit.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../connectors/hubspot/emulator.ts';
import { startVonageEmulator, type VonageEmulator } from '../connectors/vonage/emulator.ts';
import { startPlivoEmulator, type PlivoEmulator } from '../connectors/plivo/emulator.ts';
import { startViberEmulator, type ViberEmulator } from '../connectors/viber/emulator.ts';
import { PLIVO_LIST_RATE } from '../connectors/plivo/messages-client.ts';
import type { ConnectorSettings } from '../worker/connector-settings.ts';
import { VONAGE_ACCOUNT, type SourceHistories } from './source-histories.ts';

/** What the vendor emulators get wrong on purpose: shares of answers that fail, for retries to get through. */
export interface VendorFaults {
  serverErrorRate?: number;
  throttleRate?: number;
  /** Every answer this much late. */
  slowPageMs?: number;
  seed?: number;
}

export interface SandboxEmulatorsOptions {
  histories?: SourceHistories;
  whatsApp?: ContactsCheckEmulatorOptions;
  /** Plivo's list endpoint allows 20 requests a minute; a sandbox may shrink the minute to get through faster. */
  plivoWindowMs?: number;
  faults?: VendorFaults;
}

/** Every vendor the product talks to, emulated on 127.0.0.1, and the settings a worker needs to reach them. */
export interface SandboxEmulators {
  whatsApp: ContactsCheckEmulator;
  hubspot: HubSpotEmulator;
  vonage: VonageEmulator;
  plivo: PlivoEmulator;
  viber: ViberEmulator;
  settings: ConnectorSettings;
  /** The same settings as environment variables, for a worker started as another process. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSandboxEmulators(options: SandboxEmulatorsOptions = {}): Promise<SandboxEmulators> {
  const plivoRate = { requests: PLIVO_LIST_RATE.requests, intervalMs: options.plivoWindowMs ?? PLIVO_LIST_RATE.intervalMs };
  const [whatsApp, hubspot, vonage, plivo, viber] = await Promise.all([
    startContactsCheckEmulator(options.whatsApp),
    startHubSpotEmulator({ burstLimit: PRO_BURST_LIMIT }),
    startVonageEmulator({ apiKey: VONAGE_ACCOUNT, records: options.histories?.vonage ?? [], faults: options.faults }),
    startPlivoEmulator({ messages: options.histories?.plivo ?? [], rateLimit: plivoRate, faults: options.faults }),
    startViberEmulator({ users: options.histories?.viber ?? [], faults: options.faults }),
  ]);
  const settings: ConnectorSettings = {
    whatsAppContacts: { baseUrl: whatsApp.url, token: whatsApp.token },
    hubspot: { baseUrl: hubspot.url, token: hubspot.token, burstLimit: PRO_BURST_LIMIT },
    // Short timeouts: an emulator told to hang should cost a retry, not half a minute.
    vonage: { baseUrl: vonage.url, apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, timeoutMs: 5000 },
    plivo: { baseUrl: plivo.url, authId: plivo.authId, authToken: plivo.authToken, listRate: plivoRate, timeoutMs: 5000 },
    viber: { baseUrl: viber.url, authToken: viber.authToken, timeoutMs: 5000 },
  };
  return {
    whatsApp,
    hubspot,
    vonage,
    plivo,
    viber,
    settings,
    env: {
      WHATSAPP_CONTACTS_URL: whatsApp.url,
      WHATSAPP_CONTACTS_TOKEN: whatsApp.token,
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_TOKEN: hubspot.token,
      HUBSPOT_BURST_LIMIT: String(PRO_BURST_LIMIT.requests),
      VONAGE_BASE_URL: vonage.url,
      VONAGE_API_KEY: vonage.apiKey,
      VONAGE_API_SECRET: vonage.apiSecret,
      PLIVO_BASE_URL: plivo.url,
      PLIVO_AUTH_ID: plivo.authId,
      PLIVO_AUTH_TOKEN: plivo.authToken,
      PLIVO_LIST_WINDOW_MS: String(plivoRate.intervalMs),
      VIBER_BASE_URL: viber.url,
      VIBER_AUTH_TOKEN: viber.authToken,
    },
    close: async () => {
      await Promise.all([whatsApp.close(), hubspot.close(), vonage.close(), plivo.close(), viber.close()]);
    },
  };
}
