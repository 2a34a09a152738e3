import type { ContactField } from '../../workflows/scenario-rollout-input.ts';

export interface ContactDetails {
  name: string | null;
  country: string | null;
}

export function fieldValue(contact: ContactDetails, field: ContactField): string {
  if (field === 'first_name') return contact.name?.trim().split(/\s+/)[0] ?? '';
  return (field === 'name' ? contact.name : contact.country)?.trim() ?? '';
}

/** A scenario's text with `{{name}}`, `{{first_name}}` and `{{country}}` filled in (empty when the contact has none). */
export function personalize(text: string, contact: ContactDetails): string {
  return text
    .replace(/\{\{\s*(name|first_name|country)\s*\}\}/g, (_match, field: ContactField) => fieldValue(contact, field))
    .replace(/ {2,}/g, ' ')
    .replace(/ ([,.!?])/g, '$1');
}
