import fetch from 'node-fetch';
import { ApplicationFailure } from '@temporalio/common';
import type { CrmClient, CrmContact, CrmErasure } from '../crm-contact.ts';
import { crmAccount } from '../crm-account.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { accessTokensFor } from './access-token.ts';
import type { HubSpotAuth } from './access-token.ts';
import { failureOfAnswer } from './answer-failure.ts';
import type { BurstLimit } from './burst-limit.ts';
import { CONTACT_PROPERTIES, toHubSpotProperties, UNIQUE_ID_PROPERTY } from './contact-mapping.ts';
import { calendarDay } from './next-midnight.ts';
import { outcomeOf } from './upsert-outcome.ts';
import type { BatchUpsertAnswer } from './upsert-outcome.ts';

export type { HubSpotAuth } from './access-token.ts';

export const HUBSPOT_BATCH_LIMIT = 100;

export interface HubSpotClientOptions {
  baseUrl: string;
  auth: HubSpotAuth;
  /** Where `/oauth/v1/token` lives; the API's base URL unless given. */
  oauthBaseUrl?: string;
  /** The app's burst limit (PRO_BURST_LIMIT for a private app on Pro and Enterprise plans). */
  burstLimit: BurstLimit;
  /** The HubSpot account's time zone (IANA name), where its daily limit resets at midnight; UTC unless given. */
  dailyLimitTimeZone?: string;
  /** Epoch milliseconds; tests move it to age tokens and to place the daily reset. */
  now?: () => number;
}

/**
 * HubSpot counts a request when it arrives, and an early request can arrive later after its start than a
 * following one (a fresh connection is slower than a reused one). Widening the window by this much keeps
 * the arrivals inside the burst limit too, for about 2.5% of the throughput.
 */
const ARRIVAL_HEADROOM_MS = 250;

export function createHubSpotClient(options: HubSpotClientOptions): CrmClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const dailyLimitTimeZone = options.dailyLimitTimeZone ?? 'UTC';
  // A time zone Intl does not know fails here, not at the first daily 429.
  calendarDay(dailyLimitTimeZone);
  const tokens = accessTokensFor(options.auth, (options.oauthBaseUrl ?? baseUrl).replace(/\/+$/, ''), now);
  const limit = new SlidingWindowLimit({
    requests: options.burstLimit.requests,
    intervalMs: options.burstLimit.intervalMs + ARRIVAL_HEADROOM_MS,
    name: 'hubspot-burst',
  });

  /** One rate-limited request; statuses in `expected` are answers to handle, any other non-2xx is a failure. */
  async function request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    expected: readonly number[] = [],
  ): Promise<{ status: number; body: string }> {
    await limit.take();
    const token = await tokens.current();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.ok || expected.includes(response.status)) return { status: response.status, body: text };
    const tokenRenewable = response.status === 401 && tokens.refused(token);
    throw failureOfAnswer(response, text, { tokenRenewable, dailyLimitTimeZone, now });
  }

  async function createMissingProperties(): Promise<void> {
    for (const property of CONTACT_PROPERTIES) {
      const existing = await request('GET', `/crm/v3/properties/contacts/${encodeURIComponent(property.name)}`, undefined, [404]);
      if (existing.status !== 404) continue;
      // 409: another worker created it between our look and our create, which is just as good.
      await request('POST', '/crm/v3/properties/contacts', { ...property, groupName: 'contactinformation' }, [409]);
    }
  }
  // Checked once per client: the look-ups would otherwise spend the burst limit that upserts need.
  let propertiesReady: Promise<void> | undefined;

  return {
    name: 'hubspot',
    account: crmAccount('hubspot', baseUrl, options.auth.kind === 'oauth' ? options.auth.clientId : options.auth.token),
    maxContactsPerWrite: HUBSPOT_BATCH_LIMIT,

    prepare() {
      propertiesReady ??= createMissingProperties().catch((error: unknown) => {
        propertiesReady = undefined;
        throw error;
      });
      return propertiesReady;
    },

    async upsert(contacts) {
      refuseMalformedBatch(contacts);
      if (contacts.length === 0) return { written: [], failed: [], retryLater: [] };
      const answer = await request('POST', '/crm/v3/objects/contacts/batch/upsert', {
        inputs: contacts.map((contact) => ({
          id: contact.e164,
          idProperty: UNIQUE_ID_PROPERTY,
          properties: toHubSpotProperties(contact),
          objectWriteTraceId: contact.contactId,
        })),
      });
      return outcomeOf(contacts, JSON.parse(answer.body) as BatchUpsertAnswer);
    },

    async forget(e164): Promise<CrmErasure> {
      // One call that finds and deletes: the number travels in the body, never in a URL HubSpot logs, and the
      // unique property finds a record the moment it is written (search would lag behind its index).
      const answer = await request('POST', '/crm/v3/objects/contacts/gdpr-delete', { objectId: e164, idProperty: UNIQUE_ID_PROPERTY }, [404]);
      return answer.status === 404 ? { outcome: 'absent', records: 0 } : { outcome: 'deleted', records: 1 };
    },
  };
}

/**
 * HubSpot rejects a whole batch when two inputs resolve to one record, and outcomes are told apart by contact
 * id: a batch breaking either is the caller's mistake, so it fails before anything is sent and for good.
 */
function refuseMalformedBatch(contacts: readonly CrmContact[]): void {
  const refuse = (message: string) => ApplicationFailure.create({ type: 'HubSpotBatchRefused', message, nonRetryable: true });
  if (contacts.length > HUBSPOT_BATCH_LIMIT) {
    throw refuse(`HubSpot upserts at most ${HUBSPOT_BATCH_LIMIT} contacts per batch, got ${contacts.length}`);
  }
  const contactIdByNumber = new Map<string, string>();
  const contactIds = new Set<string>();
  for (const { contactId, e164 } of contacts) {
    const other = contactIdByNumber.get(e164);
    if (other !== undefined) throw refuse(`Contacts ${other} and ${contactId} share one number; a batch must not repeat a contact`);
    if (contactIds.has(contactId)) throw refuse(`Contact ${contactId} appears twice in one batch`);
    contactIdByNumber.set(e164, contactId);
    contactIds.add(contactId);
  }
}
