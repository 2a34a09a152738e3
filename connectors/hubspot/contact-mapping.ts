import type { ConsentState, CrmContact, SourceChannel, WhatsAppStatus } from '../crm-contact.ts';

/**
 * How a contact looks in HubSpot. `phone` is not unique in HubSpot, so upserts key on a custom unique
 * property holding the E.164 number (with its `+`, so numbers from different sources always match).
 */
export const UNIQUE_ID_PROPERTY = 'channelshift_e164';

export interface ContactPropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'enumeration' | 'datetime';
  fieldType: 'text' | 'select' | 'checkbox' | 'date';
  hasUniqueValue: boolean;
  options?: { label: string; value: string }[];
}

/** HubSpot joins the values of a multiple-choice (checkbox) property with this. */
const MULTIPLE_VALUE_SEPARATOR = ';';

/** The custom properties the sync writes; HubSpot's standard ones (phone, firstname, lastname, country) exist already. */
export const CONTACT_PROPERTIES: readonly ContactPropertyDefinition[] = [
  { name: UNIQUE_ID_PROPERTY, label: 'Phone (E.164)', type: 'string', fieldType: 'text', hasUniqueValue: true },
  {
    name: 'whatsapp_status',
    label: 'WhatsApp status',
    type: 'enumeration',
    fieldType: 'select',
    hasUniqueValue: false,
    options: [
      { label: 'On WhatsApp', value: 'on_whatsapp' },
      { label: 'Not on WhatsApp', value: 'not_on_whatsapp' },
      { label: 'Unknown', value: 'unknown' },
    ] satisfies { label: string; value: WhatsAppStatus }[],
  },
  { name: 'whatsapp_id', label: 'WhatsApp ID', type: 'string', fieldType: 'text', hasUniqueValue: false },
  {
    name: 'whatsapp_consent',
    label: 'WhatsApp consent',
    type: 'enumeration',
    fieldType: 'select',
    hasUniqueValue: false,
    options: [
      { label: 'Granted', value: 'granted' },
      { label: 'Withdrawn', value: 'withdrawn' },
      { label: 'Unknown', value: 'unknown' },
    ] satisfies { label: string; value: ConsentState }[],
  },
  { name: 'whatsapp_consent_date', label: 'WhatsApp consent date', type: 'datetime', fieldType: 'date', hasUniqueValue: false },
  {
    name: 'source_channels',
    label: 'Source channels',
    type: 'enumeration',
    fieldType: 'checkbox',
    hasUniqueValue: false,
    options: [
      { label: 'SMS', value: 'sms' },
      { label: 'Viber', value: 'viber' },
    ] satisfies { label: string; value: SourceChannel }[],
  },
];

/** Unknown values are left out rather than sent empty, so an upsert never blanks what HubSpot already has. */
export function toHubSpotProperties(contact: CrmContact): Record<string, string> {
  const properties: Record<string, string> = {
    [UNIQUE_ID_PROPERTY]: contact.e164,
    phone: contact.e164,
    whatsapp_status: contact.whatsAppStatus,
    whatsapp_consent: contact.consent,
  };
  const [firstname, lastname] = splitName(contact.name);
  if (firstname !== undefined) properties.firstname = firstname;
  if (lastname !== undefined) properties.lastname = lastname;
  if (contact.country !== null) properties.country = contact.country;
  if (contact.waId !== null) properties.whatsapp_id = contact.waId;
  const consentAt = contact.consentAt === null ? Number.NaN : Date.parse(contact.consentAt);
  // HubSpot reads a datetime as epoch milliseconds; an ISO string with an offset would need its parser to agree with ours.
  if (Number.isFinite(consentAt)) properties.whatsapp_consent_date = String(consentAt);
  const channels = [...new Set(contact.sourceChannels)];
  if (channels.length > 0) properties.source_channels = channels.join(MULTIPLE_VALUE_SEPARATOR);
  return properties;
}

/** First word as first name, the rest as last name. */
function splitName(name: string | null): [firstname?: string, lastname?: string] {
  const words = name?.trim() ?? '';
  if (words === '') return [];
  const match = /^(\S+)\s+(.+)$/s.exec(words);
  return match ? [match[1], match[2]] : [words];
}
