import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, type Registry } from 'prom-client';

/** The webhook routes report here, where each judges its vendor's signature; nothing is kept while no worker metrics listen. */
const CHANNEL = 'channelshift:webhook-event';
const events = diagnosticsChannel.channel(CHANNEL);

/** `missing`: the request carried no signature at all; `invalid`: one that does not sign it (or is too old). */
export type SignatureVerdict = 'valid' | 'invalid' | 'missing';

interface WebhookEvent {
  vendor: string;
  type: string;
  signature: SignatureVerdict;
  count: number;
}

/**
 * Called by a webhook route once it has judged the signature. `type` is the event as the route knows it (a reply,
 * a receipt, a Viber callback's event); `unknown` when the body was not read, as an unsigned body is not.
 */
export function reportWebhookEvent(vendor: string, type: string, signature: SignatureVerdict, count = 1): void {
  if (events.hasSubscribers) events.publish({ vendor, type, signature, count } satisfies WebhookEvent);
}

/** `channelshift_webhook_events_total{vendor,type,signature}`. */
export function webhookEventCounter(registry: Registry): () => void {
  const counter = new Counter({
    name: 'channelshift_webhook_events_total',
    help: 'Webhook events received, by vendor, event type and signature (valid, invalid, missing)',
    labelNames: ['vendor', 'type', 'signature'],
    registers: [registry],
  });
  const onEvent = (message: unknown) => {
    const { vendor, type, signature, count } = message as WebhookEvent;
    counter.inc({ vendor, type, signature }, count);
  };
  diagnosticsChannel.subscribe(CHANNEL, onEvent);
  return () => diagnosticsChannel.unsubscribe(CHANNEL, onEvent);
}
