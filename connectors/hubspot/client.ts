import fetch from 'node-fetch';
import type { Response } from 'node-fetch';
import type { ApplicationFailure } from '@temporalio/common';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import type { BurstLimit } from './burst-limit.ts';
import { CONTACT_PROPERTIES, UNIQUE_ID_PROPERTY } from './contact-mapping.ts';

export interface HubSpotContactInput {
  /** The value of UNIQUE_ID_PROPERTY that identifies the contact. */
  idValue: string;
  properties: Record<string, string>;
  /** Echoed back by HubSpot on failures, so each failure can be tied to its input. */
  traceId: string;
}

export interface UpsertOutcome {
  succeeded: { traceId: string; hubspotId: string; created: boolean }[];
  failed: { traceId: string; reason: string }[];
}

export interface HubSpotClient {
  ensureContactProperties(): Promise<void>;
  upsertContacts(inputs: readonly HubSpotContactInput[]): Promise<UpsertOutcome>;
}

export const HUBSPOT_BATCH_LIMIT = 100;

export interface HubSpotClientOptions {
  baseUrl: string;
  token: string;
  /** The app's burst limit (PRO_BURST_LIMIT on Pro and Enterprise plans). */
  burstLimit: BurstLimit;
}

/**
 * HubSpot counts a request when it arrives, and an early request can arrive later after its start than a
 * following one (a fresh connection is slower than a reused one). Widening the window by this much keeps
 * the arrivals inside the burst limit too, for about 2.5% of the throughput.
 */
const ARRIVAL_HEADROOM_MS = 250;

/** HubSpot's burst window, used as the retry delay when a 429 names no better one. */
const DEFAULT_THROTTLE_DELAY_MS = 10_000;

interface BatchUpsertAnswer {
  results?: { id: string; properties?: Record<string, string | null>; new?: boolean }[];
  errors?: { message?: string; context?: { objectWriteTraceId?: string[] } }[];
}

export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const limit = new SlidingWindowLimit({
    requests: options.burstLimit.requests,
    intervalMs: options.burstLimit.intervalMs + ARRIVAL_HEADROOM_MS,
  });

  /** One rate-limited request; statuses in `expected` are answers to handle, any other non-2xx is a failure. */
  async function request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    expected: readonly number[] = [],
  ): Promise<{ status: number; body: string }> {
    await limit.take();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok && !expected.includes(response.status)) throw failureOf(response, text);
    return { status: response.status, body: text };
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
    ensureContactProperties() {
      propertiesReady ??= createMissingProperties().catch((error: unknown) => {
        propertiesReady = undefined;
        throw error;
      });
      return propertiesReady;
    },

    async upsertContacts(inputs) {
      if (inputs.length > HUBSPOT_BATCH_LIMIT) {
        throw new Error(`HubSpot upserts at most ${HUBSPOT_BATCH_LIMIT} contacts per batch, got ${inputs.length}`);
      }
      const traceIdByIdValue = new Map<string, string>();
      for (const { idValue, traceId } of inputs) {
        const other = traceIdByIdValue.get(idValue);
        // HubSpot rejects the whole batch when two inputs resolve to one record.
        if (other !== undefined) throw new Error(`Inputs ${other} and ${traceId} share one ${UNIQUE_ID_PROPERTY}; a batch must not repeat a contact`);
        traceIdByIdValue.set(idValue, traceId);
      }
      if (inputs.length === 0) return { succeeded: [], failed: [] };

      const answer = await request('POST', '/crm/v3/objects/contacts/batch/upsert', {
        inputs: inputs.map(({ idValue, properties, traceId }) => ({
          id: idValue,
          idProperty: UNIQUE_ID_PROPERTY,
          properties,
          objectWriteTraceId: traceId,
        })),
      });
      return outcomeOf(inputs, JSON.parse(answer.body) as BatchUpsertAnswer);
    },
  };
}

/**
 * Reads a 200 or 207 answer. An input counts as succeeded only when HubSpot returned its record and
 * reported no error for it; one it said nothing about fails with a reason rather than vanishing.
 */
function outcomeOf(inputs: readonly HubSpotContactInput[], answer: BatchUpsertAnswer): UpsertOutcome {
  const reasonByTraceId = new Map<string, string>();
  for (const error of answer.errors ?? []) {
    for (const traceId of error.context?.objectWriteTraceId ?? []) {
      reasonByTraceId.set(traceId, error.message ?? 'HubSpot gave no reason');
    }
  }
  const resultByIdValue = new Map((answer.results ?? []).map((result) => [result.properties?.[UNIQUE_ID_PROPERTY], result]));
  const outcome: UpsertOutcome = { succeeded: [], failed: [] };
  for (const { idValue, traceId } of inputs) {
    const reason = reasonByTraceId.get(traceId);
    const result = resultByIdValue.get(idValue);
    if (reason !== undefined) outcome.failed.push({ traceId, reason });
    else if (result !== undefined) outcome.succeeded.push({ traceId, hubspotId: result.id, created: result.new === true });
    else outcome.failed.push({ traceId, reason: 'HubSpot reported neither a record nor an error for this input' });
  }
  return outcome;
}

function failureOf(response: Response, body: string): ApplicationFailure {
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  if (response.status !== 429) return vendorFailure('HubSpot', response.status, body, retryAfter);
  // HubSpot's 429 rarely carries Retry-After; its rate-limit headers name the window to wait out instead.
  const interval = Number(response.headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? Number.NaN);
  const delay = retryAfter ?? (Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_THROTTLE_DELAY_MS);
  return vendorFailure('HubSpot', response.status, body, delay);
}
