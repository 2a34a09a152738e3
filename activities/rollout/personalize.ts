import { readPlaceholders } from '../../scenarios/placeholders.ts';
import { contactFields, type ContactField } from '../../workflows/scenario-rollout-input.ts';

export interface ContactDetails {
  name: string | null;
  country: string | null;
}

export function fieldValue(contact: ContactDetails, field: ContactField): string {
  if (field === 'first_name') return contact.name?.trim().split(/\s+/)[0] ?? '';
  return (field === 'name' ? contact.name : contact.country)?.trim() ?? '';
}

const isContactField = (name: string): name is ContactField => (contactFields as readonly string[]).includes(name);

/**
 * A scenario's text with the contact's name, first name and country filled in, in any placeholder form the scenarios
 * use (`{{first_name}}`, `[First Name]`, ...); empty when the contact has none. Other placeholders stay as written.
 */
export function personalize(text: string, contact: ContactDetails): string {
  return readPlaceholders(text)
    .map((part) => (part.kind === 'literal' ? part.text : isContactField(part.name) ? fieldValue(contact, part.name) : part.written))
    .join('')
    .replace(/ {2,}/g, ' ')
    .replace(/ ([,.!?])/g, '$1');
}
