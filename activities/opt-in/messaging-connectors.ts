import { ApplicationFailure } from '@temporalio/common';
import type { VonageSmsClient } from '../../connectors/vonage/sms-client.ts';
import type { PlivoSendClient } from '../../connectors/plivo/send-client.ts';
import type { ViberBotClient } from '../../connectors/viber/bot-client.ts';
import type { WhatsAppCloudClient } from '../../connectors/whatsapp/cloud-client.ts';

/** The channels a campaign speaks on; each is optional, and a campaign that needs a missing one says which. */
export interface MessagingConnectors {
  /** Each SMS vendor with the account's number the notices go from: customers cannot answer a sender name. */
  vonageSms?: { client: VonageSmsClient; from: string };
  plivoSms?: { client: PlivoSendClient; from: string };
  viberBot?: ViberBotClient;
  whatsApp?: WhatsAppCloudClient;
  /** Unique users the business may reach on WhatsApp outside a service window per moving 24 h (its messaging tier). */
  whatsAppMessagingLimit: number;
  /** Where vendors reach this product's webhooks, for the per-message status URLs sent with each message. */
  publicWebhookUrl?: string;
}

const settingFor = { vonageSms: 'VONAGE_API_KEY, VONAGE_API_SECRET and VONAGE_SMS_FROM', plivoSms: 'PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN and PLIVO_SMS_FROM', viberBot: 'VIBER_AUTH_TOKEN', whatsApp: 'WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN' } as const;

export function requireMessaging<K extends keyof typeof settingFor>(messaging: MessagingConnectors, kind: K): NonNullable<MessagingConnectors[K]> {
  const connector = messaging[kind];
  if (!connector) {
    throw ApplicationFailure.nonRetryable(`the campaign needs ${kind}, but the worker has no ${settingFor[kind]} (see README.md, "Configuration")`, 'ConnectorMissing');
  }
  return connector as NonNullable<MessagingConnectors[K]>;
}
