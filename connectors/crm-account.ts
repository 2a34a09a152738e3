import { createHash } from 'node:crypto';
import type { CrmName } from './crm-contact.ts';

/** A CRM account's label: the API address and a digest of whose credentials, never the credentials themselves. */
export function crmAccount(crm: CrmName, baseUrl: string, owner: string): string {
  return `${crm}:${baseUrl}:${createHash('sha256').update(owner).digest('base64url').slice(0, 16)}`;
}
