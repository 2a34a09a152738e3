import { createContactsCheckClient, type ContactsCheckClient } from '../connectors/whatsapp/contacts-check-client.ts';
import { createHubSpotClient, type HubSpotAuth } from '../connectors/hubspot/client.ts';
import { CRM_NAMES, type CrmClient, type CrmName } from '../connectors/crm-contact.ts';
import { createSalesforceClient, type SalesforceClientOptions } from '../connectors/salesforce/client.ts';
import { readFileSync } from 'node:fs';
import { BURST_WINDOW_MS, PRO_BURST_LIMIT, type BurstLimit } from '../connectors/hubspot/burst-limit.ts';
import { createVonageReportsClient, type VonageReportsSettings } from '../connectors/vonage/reports-client.ts';
import { createVonageSmsClient, VONAGE_SMS_RATE } from '../connectors/vonage/sms-client.ts';
import { createVonageNumberInsightClient } from '../connectors/vonage/number-insight-client.ts';
import type { VonageSignatureMethod } from '../connectors/vonage/webhook-signature.ts';
import { createPlivoMessagesClient, PLIVO_LIST_RATE, type PlivoSettings } from '../connectors/plivo/messages-client.ts';
import { createPlivoSendClient, PLIVO_SEND_RATE } from '../connectors/plivo/send-client.ts';
import { createPlivoLookupClient } from '../connectors/plivo/lookup-client.ts';
import { createViberBotClient, type ViberBotSettings } from '../connectors/viber/bot-client.ts';
import { createWhatsAppTemplatesClient, type WhatsAppTemplatesClient } from '../connectors/whatsapp/templates-client.ts';
import { createWhatsAppCloudClient, WHATSAPP_THROUGHPUT, type WhatsAppCloudSettings } from '../connectors/whatsapp/cloud-client.ts';
import type { CarrierLookup } from '../connectors/carrier-lookup.ts';
import type { SourceConnectors } from '../activities/extract/source-connectors.ts';
import type { MessagingConnectors } from '../activities/opt-in/messaging-connectors.ts';
import type { RateLimit } from '../activities/extract/request-budget.ts';
import type { EnvironmentProblem } from './secret-environment.ts';

/** The lowest messaging tier: a business that has not said its own reaches 250 users a day on WhatsApp. */
export const DEFAULT_WHATSAPP_MESSAGING_LIMIT = 250;

export interface ConnectorSettings {
  /** The legacy contacts check, only for a provider that still offers one. */
  whatsAppContacts?: { baseUrl: string; token: string };
  /** CRMs are optional too: a migration names the ones it syncs, and each must be set here. */
  hubspot?: { baseUrl: string; auth: HubSpotAuth; burstLimit: BurstLimit; dailyLimitTimeZone?: string };
  salesforce?: SalesforceClientOptions;
  /** Vendors are optional: a worker reads, asks and sends only through those it has credentials for. */
  vonage?: VonageReportsSettings & { smsBaseUrl: string; insightBaseUrl: string; smsRate: RateLimit; smsFrom?: string; signature?: { secret: string; method: VonageSignatureMethod } };
  plivo?: PlivoSettings & {
    listRate: RateLimit;
    sendBaseUrl: string;
    lookupBaseUrl: string;
    sendRate: RateLimit;
    smsFrom?: string;
    /** Callbacks signed with V2 alone are accepted, each nonce once (PLIVO_ACCEPT_SIGNATURE_V2=true); V3 only otherwise. */
    acceptSignatureV2: boolean;
  };
  viber?: ViberBotSettings;
  /** `businessAccountId` (the WABA's id) is needed only to submit templates. */
  whatsApp?: WhatsAppCloudSettings & { messagingLimit: number; appSecret?: string; verifyToken?: string; businessAccountId?: string };
  /** Where vendors reach this product's webhooks (`https://hooks.example.com`), for per-message status URLs. */
  publicWebhookUrl?: string;
}

const pairs = [
  ['WHATSAPP_CONTACTS_URL', 'WHATSAPP_CONTACTS_TOKEN'],
  ['VONAGE_API_KEY', 'VONAGE_API_SECRET'],
  ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN'],
  ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_ACCESS_TOKEN'],
  ['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'],
  ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
] as const;

const triples = [
  ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN'],
  ['SALESFORCE_CONSUMER_KEY', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY_FILE'],
] as const;

const signatureMethods: readonly VonageSignatureMethod[] = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];

/**
 * Vendor endpoints and credentials from the environment; every missing or half-given one is named in a single error,
 * with the `earlier` problems found reading it (a secret file that could not be read counts as given, not missing).
 */
export function connectorSettings(env: NodeJS.ProcessEnv = process.env, earlier: readonly EnvironmentProblem[] = []): ConnectorSettings {
  const problems = earlier.map(({ problem }) => problem);
  const isGiven = (name: string) => Boolean(env[name]) || earlier.some(({ variable }) => variable === name);
  for (const pair of pairs) {
    const given = pair.filter(isGiven);
    if (given.length === 1) problems.push(`${pair.find((name) => !isGiven(name))} is missing (${given[0]} is set)`);
  }
  for (const triple of triples) {
    const given = triple.filter(isGiven);
    if (given.length > 0 && given.length < triple.length) problems.push(`${triple.filter((name) => !isGiven(name)).join(' and ')} missing (${given.join(', ')} set)`);
  }
  const signatureMethod = (env.VONAGE_SIGNATURE_METHOD || 'sha256') as VonageSignatureMethod;
  if (!signatureMethods.includes(signatureMethod)) problems.push(`VONAGE_SIGNATURE_METHOD must be one of ${signatureMethods.join(', ')}, not "${signatureMethod}"`);
  // Empty counts as unset: docker-compose passes unset variables through as empty strings.
  const burst = wholeNumber(env, 'HUBSPOT_BURST_LIMIT', PRO_BURST_LIMIT.requests, problems);
  const plivoWindow = wholeNumber(env, 'PLIVO_LIST_WINDOW_MS', PLIVO_LIST_RATE.intervalMs, problems);
  const vonageSmsRate = perSecond(wholeNumber(env, 'VONAGE_SMS_RATE', VONAGE_SMS_RATE.requests, problems));
  const plivoSendRate = perSecond(wholeNumber(env, 'PLIVO_SEND_RATE', PLIVO_SEND_RATE.requests, problems));
  const throughput = perSecond(wholeNumber(env, 'WHATSAPP_THROUGHPUT', WHATSAPP_THROUGHPUT.requests, problems));
  const messagingLimit = wholeNumber(env, 'WHATSAPP_MESSAGING_LIMIT', DEFAULT_WHATSAPP_MESSAGING_LIMIT, problems);
  const salesforce = salesforceSettings(env, problems);
  if (problems.length > 0) throw new Error(`worker settings: ${problems.join('; ')} (see README.md, "Configuration")`);
  return {
    whatsAppContacts: env.WHATSAPP_CONTACTS_URL ? { baseUrl: env.WHATSAPP_CONTACTS_URL, token: env.WHATSAPP_CONTACTS_TOKEN! } : undefined,
    hubspot: hubspotAuth(env) && {
      baseUrl: env.HUBSPOT_BASE_URL || 'https://api.hubapi.com',
      auth: hubspotAuth(env)!,
      burstLimit: { requests: burst, intervalMs: BURST_WINDOW_MS },
      dailyLimitTimeZone: env.HUBSPOT_TIME_ZONE || undefined,
    },
    salesforce,
    vonage: env.VONAGE_API_KEY
      ? {
          baseUrl: env.VONAGE_BASE_URL || 'https://api.nexmo.com',
          apiKey: env.VONAGE_API_KEY,
          apiSecret: env.VONAGE_API_SECRET!,
          smsBaseUrl: env.VONAGE_SMS_BASE_URL || 'https://rest.nexmo.com',
          insightBaseUrl: env.VONAGE_INSIGHT_BASE_URL || env.VONAGE_BASE_URL || 'https://api.nexmo.com',
          smsRate: vonageSmsRate,
          smsFrom: smsNumber(env, 'VONAGE_SMS_FROM', problems),
          signature: env.VONAGE_SIGNATURE_SECRET ? { secret: env.VONAGE_SIGNATURE_SECRET, method: signatureMethod } : undefined,
        }
      : undefined,
    plivo: env.PLIVO_AUTH_ID
      ? {
          baseUrl: env.PLIVO_BASE_URL || 'https://api.plivo.com',
          authId: env.PLIVO_AUTH_ID,
          authToken: env.PLIVO_AUTH_TOKEN!,
          listRate: { requests: PLIVO_LIST_RATE.requests, intervalMs: plivoWindow },
          sendBaseUrl: env.PLIVO_SEND_BASE_URL || env.PLIVO_BASE_URL || 'https://api.plivo.com',
          lookupBaseUrl: env.PLIVO_LOOKUP_BASE_URL || 'https://lookup.plivo.com',
          sendRate: plivoSendRate,
          smsFrom: smsNumber(env, 'PLIVO_SMS_FROM', problems),
          acceptSignatureV2: trueOrFalse(env, 'PLIVO_ACCEPT_SIGNATURE_V2', problems),
        }
      : undefined,
    viber: env.VIBER_AUTH_TOKEN ? { baseUrl: env.VIBER_BASE_URL || 'https://chatapi.viber.com/pa', authToken: env.VIBER_AUTH_TOKEN } : undefined,
    whatsApp: env.WHATSAPP_PHONE_NUMBER_ID
      ? {
          baseUrl: env.WHATSAPP_BASE_URL || 'https://graph.facebook.com',
          phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID,
          accessToken: env.WHATSAPP_ACCESS_TOKEN!,
          throughput,
          messagingLimit,
          appSecret: env.WHATSAPP_APP_SECRET || undefined,
          verifyToken: env.WHATSAPP_VERIFY_TOKEN || undefined,
          businessAccountId: env.WHATSAPP_BUSINESS_ACCOUNT_ID || undefined,
        }
      : undefined,
    publicWebhookUrl: env.PUBLIC_WEBHOOK_URL?.replace(/\/+$/, '') || undefined,
  };
}

/** OAuth client credentials, or a JWT bearer signed with the connected app's key (read from a file). */
/** A setting that is `true` or `false` (default false); anything else is a problem named with the variable. */
function trueOrFalse(env: NodeJS.ProcessEnv, name: string, problems: string[]): boolean {
  const value = env[name] || 'false';
  if (value !== 'true' && value !== 'false') problems.push(`${name} must be true or false, not "${value}"`);
  return value === 'true';
}

function salesforceSettings(env: NodeJS.ProcessEnv, problems: string[]): SalesforceClientOptions | undefined {
  const loginUrl = env.SALESFORCE_LOGIN_URL || 'https://login.salesforce.com';
  const common = {
    loginUrl,
    apiVersion: env.SALESFORCE_API_VERSION || undefined,
    externalIdField: env.SALESFORCE_EXTERNAL_ID_FIELD || undefined,
    hardDelete: trueOrFalse(env, 'SALESFORCE_HARD_DELETE', problems),
  };
  if (env.SALESFORCE_CLIENT_ID) {
    return { ...common, auth: { kind: 'client-credentials', clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET! } };
  }
  if (!env.SALESFORCE_CONSUMER_KEY || !env.SALESFORCE_PRIVATE_KEY_FILE) return undefined;
  let privateKey = '';
  try {
    privateKey = readFileSync(env.SALESFORCE_PRIVATE_KEY_FILE, 'utf8');
  } catch {
    problems.push(`SALESFORCE_PRIVATE_KEY_FILE: cannot read ${env.SALESFORCE_PRIVATE_KEY_FILE}`);
  }
  return { ...common, auth: { kind: 'jwt-bearer', consumerKey: env.SALESFORCE_CONSUMER_KEY, username: env.SALESFORCE_USERNAME!, privateKey } };
}

/** A private app's token, or an OAuth app's refresh token (the access token is refreshed ahead of its expiry). */
function hubspotAuth(env: NodeJS.ProcessEnv): HubSpotAuth | undefined {
  if (env.HUBSPOT_TOKEN) return { kind: 'private-app', token: env.HUBSPOT_TOKEN };
  if (env.HUBSPOT_REFRESH_TOKEN) {
    return { kind: 'oauth', clientId: env.HUBSPOT_CLIENT_ID!, clientSecret: env.HUBSPOT_CLIENT_SECRET!, refreshToken: env.HUBSPOT_REFRESH_TOKEN };
  }
  return undefined;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a whole number above 0, not "${env[name]}"`);
  return value;
}

/** An account's number as the vendors take it (international digits, no `+`). */
function smsNumber(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (!/^\+?\d{5,15}$/.test(value)) problems.push(`${name} must be the account's number customers can answer, like +447700900123 (a sender name cannot be answered)`);
  return value.replace(/^\+/, '');
}

function perSecond(requests: number): RateLimit {
  return { requests, intervalMs: 1000 };
}

export interface Connectors {
  contactsCheck?: ContactsCheckClient;
  carrierLookups: { plivo?: CarrierLookup; vonage?: CarrierLookup };
  crms: Partial<Record<CrmName, CrmClient>>;
  sources: SourceConnectors;
  messaging: MessagingConnectors;
  whatsAppTemplates?: WhatsAppTemplatesClient;
}

/** The CRMs these settings can write to. */
export function configuredCrms(settings: ConnectorSettings): CrmName[] {
  return CRM_NAMES.filter((crm) => settings[crm] !== undefined);
}

export function createConnectors(settings: ConnectorSettings): Connectors {
  const { vonage, plivo, viber, whatsApp } = settings;
  const viberBot = viber && createViberBotClient(viber);
  return {
    contactsCheck: settings.whatsAppContacts && createContactsCheckClient(settings.whatsAppContacts),
    carrierLookups: {
      plivo: plivo && createPlivoLookupClient({ ...plivo, baseUrl: plivo.lookupBaseUrl }),
      vonage: vonage && createVonageNumberInsightClient({ ...vonage, baseUrl: vonage.insightBaseUrl }),
    },
    crms: {
      hubspot: settings.hubspot && createHubSpotClient(settings.hubspot),
      salesforce: settings.salesforce && createSalesforceClient(settings.salesforce),
    },
    sources: {
      vonage: vonage && createVonageReportsClient(vonage),
      plivo: plivo && { client: createPlivoMessagesClient(plivo), listRate: plivo.listRate },
      viber: viberBot,
    },
    messaging: {
      vonageSms: vonage?.smsFrom ? { client: createVonageSmsClient({ ...vonage, baseUrl: vonage.smsBaseUrl, rate: vonage.smsRate }), from: vonage.smsFrom } : undefined,
      plivoSms: plivo?.smsFrom ? { client: createPlivoSendClient({ ...plivo, baseUrl: plivo.sendBaseUrl, rate: plivo.sendRate }), from: plivo.smsFrom } : undefined,
      viberBot,
      whatsApp: whatsApp && createWhatsAppCloudClient(whatsApp),
      whatsAppMessagingLimit: whatsApp?.messagingLimit ?? DEFAULT_WHATSAPP_MESSAGING_LIMIT,
      publicWebhookUrl: settings.publicWebhookUrl,
    },
    whatsAppTemplates: whatsApp?.businessAccountId ? createWhatsAppTemplatesClient({ ...whatsApp, businessAccountId: whatsApp.businessAccountId }) : undefined,
  };
}
