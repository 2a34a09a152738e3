import type { ConsentState, CrmContact, WhatsAppStatus } from '../crm-contact.ts';

/**
 * How a contact looks in Salesforce. `Phone` is neither unique nor an external id, so upserts key on a custom
 * unique external id field holding the E.164 number (with its `+`, so numbers from different sources always match).
 */
export const DEFAULT_EXTERNAL_ID_FIELD = 'ChannelShift_E164__c';

/** The Tooling API's `CustomField.Metadata`, for the field types the sync writes. */
export type CustomFieldMetadata =
  | { label: string; type: 'Text'; length: number; externalId: boolean; unique: boolean; caseSensitive: boolean }
  | { label: string; type: 'DateTime' }
  | {
      label: string;
      type: 'Picklist';
      valueSet: {
        restricted: boolean;
        valueSetDefinition: { sorted: boolean; value: { fullName: string; label: string; default: boolean }[] };
      };
    };

export interface CustomFieldDefinition {
  /** The API name on Contact, ending in `__c`. */
  name: string;
  metadata: CustomFieldMetadata;
}

function picklist(label: string, values: readonly [value: string, label: string][]): CustomFieldMetadata {
  return {
    label,
    type: 'Picklist',
    valueSet: {
      restricted: true,
      valueSetDefinition: { sorted: false, value: values.map(([fullName, text]) => ({ fullName, label: text, default: false })) },
    },
  };
}

function text(label: string, length: number): CustomFieldMetadata {
  return { label, type: 'Text', length, externalId: false, unique: false, caseSensitive: false };
}

const WHATSAPP_STATUSES: readonly [WhatsAppStatus, string][] = [
  ['on_whatsapp', 'On WhatsApp'],
  ['not_on_whatsapp', 'Not on WhatsApp'],
  ['unknown', 'Unknown'],
];
const CONSENT_STATES: readonly [ConsentState, string][] = [
  ['granted', 'Granted'],
  ['withdrawn', 'Withdrawn'],
  ['unknown', 'Unknown'],
];

/** The custom fields the sync writes; Contact's standard ones (Phone, FirstName, LastName, MailingCountry) exist already. */
export function contactCustomFields(externalIdField: string): CustomFieldDefinition[] {
  return [
    {
      name: externalIdField,
      metadata: { label: 'Phone (E.164)', type: 'Text', length: 20, externalId: true, unique: true, caseSensitive: false },
    },
    { name: 'WhatsApp_Status__c', metadata: picklist('WhatsApp Status', WHATSAPP_STATUSES) },
    { name: 'WhatsApp_Id__c', metadata: text('WhatsApp ID', 40) },
    { name: 'WhatsApp_Consent__c', metadata: picklist('WhatsApp Consent', CONSENT_STATES) },
    { name: 'WhatsApp_Consent_At__c', metadata: { label: 'WhatsApp Consent Changed At', type: 'DateTime' } },
    { name: 'Source_Channels__c', metadata: text('Source Channels', 255) },
  ];
}

/**
 * Unknown values are left out rather than sent empty, so an upsert never blanks what Salesforce already has.
 * That includes LastName when the name is unknown: see `withPlaceholderLastName` for contacts that are new.
 */
export function toContactFields(contact: CrmContact, externalIdField: string): Record<string, string> {
  const fields: Record<string, string> = {
    [externalIdField]: contact.e164,
    Phone: contact.e164,
    WhatsApp_Status__c: contact.whatsAppStatus,
    WhatsApp_Consent__c: contact.consent,
  };
  const [firstName, lastName] = splitName(contact.name);
  if (firstName !== undefined) fields.FirstName = firstName;
  if (lastName !== undefined) fields.LastName = lastName;
  if (contact.country !== null) fields.MailingCountry = contact.country;
  if (contact.waId !== null) fields.WhatsApp_Id__c = contact.waId;
  const consentAt = contact.consentAt === null ? Number.NaN : Date.parse(contact.consentAt);
  // In UTC, the one form every Salesforce API reads the same way.
  if (Number.isFinite(consentAt)) fields.WhatsApp_Consent_At__c = new Date(consentAt).toISOString();
  const channels = [...new Set(contact.sourceChannels)];
  if (channels.length > 0) fields.Source_Channels__c = channels.join(';');
  return fields;
}

/**
 * Contact cannot be created without LastName. For a contact whose name we do not know, the number stands in, but
 * only when the record is new: an existing record keeps the name someone typed into Salesforce.
 */
export function withPlaceholderLastName(fields: Record<string, string>, contact: CrmContact): Record<string, string> {
  return fields.LastName === undefined ? { ...fields, LastName: contact.e164 } : fields;
}

/** First word as FirstName, the rest as LastName (as for HubSpot); a single name is the LastName, which Contact requires. */
function splitName(name: string | null): [firstName?: string, lastName?: string] {
  const words = name?.trim() ?? '';
  if (words === '') return [];
  const match = /^(\S+)\s+(.+)$/s.exec(words);
  return match ? [match[1], match[2]] : [undefined, words];
}
