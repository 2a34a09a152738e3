import { startContactsCheckEmulator, type ContactsCheckEmulator, type ContactsCheckEmulatorOptions } from '../connectors/whatsapp/contacts-check-emulator.ts';
import { PRO_BURST_LIMIT } from '../connectors/hubspot/burst-limit.ts';
import { startHubSpotEmulator, type HubSpotEmulator, type HubSpotEmulatorOptions } from '../connectors/hubspot/emulator.ts';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorOptions } from '../connectors/salesforce/emulator.ts';
import { startVonageEmulator, type VonageEmulator } from '../connectors/vonage/emulator.ts';
import { startVonageMessagingEmulator, type VonageMessagingEmulator } from '../connectors/vonage/messaging-emulator.ts';
import { VONAGE_SMS_RATE } from '../connectors/vonage/sms-client.ts';
import { startPlivoEmulator, type PlivoEmulator } from '../connectors/plivo/emulator.ts';
import { startPlivoMessagingEmulator, type PlivoMessagingEmulator } from '../connectors/plivo/messaging-emulator.ts';
import { PLIVO_SEND_RATE } from '../connectors/plivo/send-client.ts';
import { startViberEmulator, type ViberEmulator } from '../connectors/viber/emulator.ts';
import { startWhatsAppCloudEmulator, type WhatsAppCloudEmulator, type WhatsAppCloudEmulatorOptions } from '../connectors/whatsapp/cloud-emulator.ts';
import { WHATSAPP_THROUGHPUT } from '../connectors/whatsapp/cloud-client.ts';
import { emulatedCustomers, type EmulatedCustomers } from '../connectors/emulated-customers.ts';
import type { CarrierAnswer } from '../connectors/carrier-lookup.ts';
import { PLIVO_LIST_RATE } from '../connectors/plivo/messages-client.ts';
import { DEFAULT_WHATSAPP_MESSAGING_LIMIT, type ConnectorSettings } from '../worker/connector-settings.ts';
import { webhookPaths } from '../worker/webhook-server.ts';
import { campaignDefaults } from '../workflows/opt-in-campaign-input.ts';
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
  /** How the HubSpot portal behaves beyond its published burst limit: its validation, its gateway errors. */
  hubspot?: Omit<HubSpotEmulatorOptions, 'burstLimit'>;
  /** How the Salesforce org behaves: its validation rule, allocation, Bulk job speed. */
  salesforce?: SalesforceEmulatorOptions;
  /** What the source vendors hold: their message histories and the Viber bot's subscribers. */
  histories?: Omit<SourceHistories, 'truth'>;
  /** The legacy contacts check's answers. */
  contactsCheck?: ContactsCheckEmulatorOptions;
  /** Plivo's list endpoint allows 20 requests a minute; a sandbox may shrink the minute to get through faster. */
  plivoWindowMs?: number;
  faults?: VendorFaults;
  /** The customers who answer the campaign's messages, and whose numbers have WhatsApp. Default: silent, none on WhatsApp. */
  customers?: EmulatedCustomers;
  /** What carrier lookups say of a number. Default: mobile. */
  lineTypes?: (e164: string) => CarrierAnswer['lineType'];
  /**
   * Per-second send rates, set alike on the emulator and the client (the vendors' published ones by default): a test
   * of thousands of customers raises them so it takes seconds, and still proves the client keeps to them.
   */
  sendRates?: { vonageSms?: number; plivoSms?: number; whatsApp?: number };
  /** Unique WhatsApp customers per moving 24 h, on both sides. Default the first tier, 250. */
  whatsAppMessagingLimit?: number;
  /** How Meta behaves beyond the rates above: template review, read rate, more pre-approved templates. */
  whatsApp?: Omit<WhatsAppCloudEmulatorOptions, 'customers' | 'throughput' | 'messagingLimit'>;
}

/** Every vendor the product talks to, emulated on 127.0.0.1, and the settings a worker needs to reach them. */
export interface SandboxEmulators {
  contactsCheck: ContactsCheckEmulator;
  hubspot: HubSpotEmulator;
  salesforce: SalesforceEmulator;
  vonage: VonageEmulator;
  vonageMessaging: VonageMessagingEmulator;
  plivo: PlivoEmulator;
  plivoMessaging: PlivoMessagingEmulator;
  viber: ViberEmulator;
  whatsApp: WhatsAppCloudEmulator;
  settings: ConnectorSettings;
  /** The same settings as environment variables, for a worker started as another process. */
  env: Record<string, string>;
  /** Points every emulator's webhooks at the product's receiver, as a business does in each vendor's dashboard. */
  connectWebhooks(receiverUrl: string): void;
  /** Resolves when no emulator has a webhook pending or scheduled. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const WHATSAPP_VERIFY_TOKEN = 'sandbox-verify-token';
/** One Plivo account: its message history, sending and lookups are three endpoints of it. */
const PLIVO_ACCOUNT = { authId: 'MAEMULATED0000PLIVO1', authToken: 'plivo-emulator-auth-token' };
/** The business's virtual number in the sandbox: customers answer SMS to a number, never to a sender name. */
const SANDBOX_SMS_NUMBER = '447700900123';

export async function startSandboxEmulators(options: SandboxEmulatorsOptions = {}): Promise<SandboxEmulators> {
  const plivoRate = { requests: PLIVO_LIST_RATE.requests, intervalMs: options.plivoWindowMs ?? PLIVO_LIST_RATE.intervalMs };
  const perSecond = (requests: number) => ({ requests, intervalMs: 1000 });
  const smsRate = perSecond(options.sendRates?.vonageSms ?? VONAGE_SMS_RATE.requests);
  const plivoSendRate = perSecond(options.sendRates?.plivoSms ?? PLIVO_SEND_RATE.requests);
  const throughput = perSecond(options.sendRates?.whatsApp ?? WHATSAPP_THROUGHPUT.requests);
  const messagingLimit = options.whatsAppMessagingLimit ?? DEFAULT_WHATSAPP_MESSAGING_LIMIT;
  const customers = options.customers ?? emulatedCustomers(new Map());
  const templates = Object.values(campaignDefaults.welcomeTemplate.languages).map((language) => ({ name: campaignDefaults.welcomeTemplate.name, language }));
  const [contactsCheck, hubspot, salesforce, vonage, vonageMessaging, plivo, plivoMessaging, viber, whatsApp] = await Promise.all([
    startContactsCheckEmulator(options.contactsCheck),
    startHubSpotEmulator({ ...options.hubspot, burstLimit: PRO_BURST_LIMIT }),
    // The sandbox's integration user holds Bulk API Hard Delete: an erased contact skips the Recycle Bin.
    startSalesforceEmulator({ bulkApiHardDelete: true, ...options.salesforce }),
    startVonageEmulator({ apiKey: VONAGE_ACCOUNT, records: options.histories?.vonage ?? [], faults: options.faults }),
    startVonageMessagingEmulator({ apiKey: VONAGE_ACCOUNT, customers, smsRate, lineTypes: options.lineTypes }),
    startPlivoEmulator({ ...PLIVO_ACCOUNT, messages: options.histories?.plivo ?? [], rateLimit: plivoRate, faults: options.faults }),
    startPlivoMessagingEmulator({ ...PLIVO_ACCOUNT, customers, sendRate: plivoSendRate, lineTypes: options.lineTypes }),
    startViberEmulator({ users: options.histories?.viber ?? [], faults: options.faults, customers }),
    startWhatsAppCloudEmulator({ ...options.whatsApp, templates: [...templates, ...(options.whatsApp?.templates ?? [])], customers, throughput, messagingLimit }),
  ]);
  const settings: ConnectorSettings = {
    whatsAppContacts: { baseUrl: contactsCheck.url, token: contactsCheck.token },
    hubspot: { baseUrl: hubspot.url, auth: { kind: 'private-app', token: hubspot.token }, burstLimit: PRO_BURST_LIMIT },
    salesforce: {
      loginUrl: salesforce.loginUrl,
      auth: { kind: 'client-credentials', clientId: salesforce.clientId, clientSecret: salesforce.clientSecret },
      pollIntervalMs: 250,
      // The sandbox org's allocation comes back when a test says so: look again within seconds, not the hour a real org needs.
      allowanceRecheckMs: 2_000,
      hardDelete: true,
    },
    // Short timeouts: an emulator told to hang should cost a retry, not half a minute.
    vonage: {
      baseUrl: vonage.url,
      apiKey: vonage.apiKey,
      apiSecret: vonage.apiSecret,
      timeoutMs: 5000,
      smsBaseUrl: vonageMessaging.url,
      insightBaseUrl: vonageMessaging.url,
      smsRate,
      smsFrom: SANDBOX_SMS_NUMBER,
      signature: { secret: vonageMessaging.signatureSecret, method: vonageMessaging.signatureMethod },
    },
    plivo: {
      baseUrl: plivo.url,
      authId: plivo.authId,
      authToken: plivo.authToken,
      listRate: plivoRate,
      timeoutMs: 5000,
      sendBaseUrl: plivoMessaging.url,
      lookupBaseUrl: plivoMessaging.url,
      sendRate: plivoSendRate,
      smsFrom: SANDBOX_SMS_NUMBER,
      acceptSignatureV2: false,
    },
    viber: { baseUrl: viber.url, authToken: viber.authToken, timeoutMs: 5000 },
    whatsApp: {
      baseUrl: whatsApp.url,
      phoneNumberId: whatsApp.phoneNumberId,
      accessToken: whatsApp.accessToken,
      throughput,
      messagingLimit,
      appSecret: whatsApp.appSecret,
      verifyToken: WHATSAPP_VERIFY_TOKEN,
      businessAccountId: whatsApp.businessAccountId,
    },
  };
  const env: Record<string, string> = {
    WHATSAPP_CONTACTS_URL: contactsCheck.url,
    WHATSAPP_CONTACTS_TOKEN: contactsCheck.token,
    HUBSPOT_BASE_URL: hubspot.url,
    HUBSPOT_TOKEN: hubspot.token,
    HUBSPOT_BURST_LIMIT: String(PRO_BURST_LIMIT.requests),
    SALESFORCE_LOGIN_URL: salesforce.loginUrl,
    SALESFORCE_CLIENT_ID: salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: salesforce.clientSecret,
    SALESFORCE_HARD_DELETE: 'true',
    VONAGE_BASE_URL: vonage.url,
    VONAGE_API_KEY: vonage.apiKey,
    VONAGE_API_SECRET: vonage.apiSecret,
    VONAGE_SMS_BASE_URL: vonageMessaging.url,
    VONAGE_INSIGHT_BASE_URL: vonageMessaging.url,
    VONAGE_SMS_RATE: String(smsRate.requests),
    VONAGE_SMS_FROM: SANDBOX_SMS_NUMBER,
    VONAGE_SIGNATURE_SECRET: vonageMessaging.signatureSecret,
    VONAGE_SIGNATURE_METHOD: vonageMessaging.signatureMethod,
    PLIVO_BASE_URL: plivo.url,
    PLIVO_AUTH_ID: plivo.authId,
    PLIVO_AUTH_TOKEN: plivo.authToken,
    PLIVO_LIST_WINDOW_MS: String(plivoRate.intervalMs),
    PLIVO_SEND_BASE_URL: plivoMessaging.url,
    PLIVO_LOOKUP_BASE_URL: plivoMessaging.url,
    PLIVO_SEND_RATE: String(plivoSendRate.requests),
    PLIVO_SMS_FROM: SANDBOX_SMS_NUMBER,
    VIBER_BASE_URL: viber.url,
    VIBER_AUTH_TOKEN: viber.authToken,
    WHATSAPP_BASE_URL: whatsApp.url,
    WHATSAPP_PHONE_NUMBER_ID: whatsApp.phoneNumberId,
    WHATSAPP_ACCESS_TOKEN: whatsApp.accessToken,
    WHATSAPP_THROUGHPUT: String(throughput.requests),
    WHATSAPP_MESSAGING_LIMIT: String(messagingLimit),
    WHATSAPP_APP_SECRET: whatsApp.appSecret,
    WHATSAPP_VERIFY_TOKEN: WHATSAPP_VERIFY_TOKEN,
    WHATSAPP_BUSINESS_ACCOUNT_ID: whatsApp.businessAccountId,
  };
  const all = [contactsCheck, hubspot, salesforce, vonage, vonageMessaging, plivo, plivoMessaging, viber, whatsApp];
  return {
    contactsCheck,
    hubspot,
    salesforce,
    vonage,
    vonageMessaging,
    plivo,
    plivoMessaging,
    viber,
    whatsApp,
    settings,
    env,
    connectWebhooks(receiverUrl) {
      vonageMessaging.useWebhooks({ inbound: receiverUrl + webhookPaths.vonageInbound, deliveryReceipt: receiverUrl + webhookPaths.vonageReceipt });
      plivoMessaging.useWebhooks({ inbound: receiverUrl + webhookPaths.plivoInbound });
      viber.useWebhooks({ url: receiverUrl + webhookPaths.viber });
      whatsApp.useWebhooks({ url: receiverUrl + webhookPaths.whatsApp });
      settings.publicWebhookUrl = receiverUrl;
      env.PUBLIC_WEBHOOK_URL = receiverUrl;
    },
    async settled() {
      await Promise.all([vonageMessaging.settled(), plivoMessaging.settled(), viber.settled(), whatsApp.settled()]);
    },
    close: async () => {
      await Promise.all(all.map((emulator) => emulator.close()));
    },
  };
}
