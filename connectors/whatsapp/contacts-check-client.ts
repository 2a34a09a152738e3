import fetch from 'node-fetch';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';

export type ContactCheckStatus = 'valid' | 'invalid' | 'processing' | 'failed';

export interface ContactCheckResult {
  input: string;
  status: ContactCheckStatus;
  /** The WhatsApp id the number resolves to; only for `valid` answers. */
  waId?: string;
}

/** Legacy On-Premises `POST /v1/contacts`: kept for providers that still expose a compatible endpoint. */
export interface ContactsCheckClient {
  check(e164Numbers: readonly string[]): Promise<ContactCheckResult[]>;
}

export const CONTACTS_PER_CHECK = 1000;

interface VendorContact {
  input: string;
  status: ContactCheckStatus;
  wa_id?: string;
}

export function createContactsCheckClient(options: { baseUrl: string; token: string }): ContactsCheckClient {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/v1/contacts`;
  return {
    async check(e164Numbers) {
      if (e164Numbers.length > CONTACTS_PER_CHECK) {
        throw new Error(`A contacts check takes at most ${CONTACTS_PER_CHECK} numbers, got ${e164Numbers.length}`);
      }
      // The vendor refuses an empty list; there is nothing to ask about anyway.
      if (e164Numbers.length === 0) return [];
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ blocking: 'wait', contacts: e164Numbers, force_check: false }),
      });
      const body = await response.text();
      if (!response.ok) {
        throw vendorFailure('WhatsAppContacts', response.status, body, retryAfterMs(response.headers.get('retry-after')));
      }
      const { contacts } = JSON.parse(body) as { contacts: VendorContact[] };
      return contacts.map(({ input, status, wa_id }) => (wa_id === undefined ? { input, status } : { input, status, waId: wa_id }));
    },
  };
}
