import type { ConsentDecision, WhatsAppState } from '../../database/schema.ts';

/** What the sending policy knows of a contact when one scenario's message is due. */
export interface PolicyFacts {
  /** The channel of the contact's cohort; contacts outside the comparison are treated as `old`. */
  cohortChannel: 'whatsapp' | 'old';
  /** The number's latest decision (consent_states); null when it never answered. */
  consent: ConsentDecision | null;
  whatsAppState: WhatsAppState | null;
  /** The last WhatsApp message the customer sent us (inbound_messages), which opens a 24-hour service window. */
  lastWhatsAppInboundAt: Date | null;
  /** The scenario has a free-form form for contacts inside their window. */
  hasSessionForm: boolean;
  now: Date;
}

export type SendingDecision =
  | { channel: 'whatsapp'; form: 'template' | 'session'; reason: 'outside-window' | 'inside-window' }
  | { channel: 'old'; reason: 'cohort' | 'no-consent' | 'not-on-whatsapp' }
  | { channel: 'none'; reason: 'withdrawn' };

/** Meta's customer service window: a customer's message opens it for 24 hours. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Where and how one scenario message goes. A STOP silences every channel. WhatsApp only with granted consent and
 * when no WhatsApp message has already proved the number is not on WhatsApp; free-form only inside the 24-hour
 * window (Meta fails it with 131047 outside), the approved template otherwise; the old channel in every other case.
 */
export function sendingDecision(facts: PolicyFacts): SendingDecision {
  if (facts.consent === 'withdrawn') return { channel: 'none', reason: 'withdrawn' };
  if (facts.cohortChannel === 'old') return { channel: 'old', reason: 'cohort' };
  if (facts.consent !== 'granted') return { channel: 'old', reason: 'no-consent' };
  if (facts.whatsAppState === 'not_on_whatsapp') return { channel: 'old', reason: 'not-on-whatsapp' };
  if (insideServiceWindow(facts.lastWhatsAppInboundAt, facts.now) && facts.hasSessionForm) return { channel: 'whatsapp', form: 'session', reason: 'inside-window' };
  return { channel: 'whatsapp', form: 'template', reason: 'outside-window' };
}

export function insideServiceWindow(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < SERVICE_WINDOW_MS;
}

/** Meta's failures the old channel can make up for: not on WhatsApp, and a free-form message outside the window. */
export const FALLBACK_CODES: readonly number[] = [131026, 131047];

/** What the fallback knows of a WhatsApp send once its status webhooks came (or did not). */
export interface SentOnWhatsApp {
  sentAt: Date | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
  errorCode: number | null;
}

/**
 * Whether a WhatsApp send goes out again on the old channel: it failed with a code the old channel makes up for, or
 * was not delivered within the timeout. `waiting` when neither is known yet: look again at `recheckAt`.
 */
export function fallbackDue(send: SentOnWhatsApp, timeoutMs: number, now: Date): { due: true } | { due: false; recheckAt: number | null } {
  if (send.deliveredAt !== null) return { due: false, recheckAt: null };
  if (send.failedAt !== null) return FALLBACK_CODES.includes(send.errorCode ?? 0) ? { due: true } : { due: false, recheckAt: null };
  // Never accepted (refused at send, or its answer lost): nothing reached WhatsApp that a timeout could measure.
  if (send.sentAt === null) return { due: false, recheckAt: null };
  const timesOutAt = send.sentAt.getTime() + timeoutMs;
  return timesOutAt <= now.getTime() ? { due: true } : { due: false, recheckAt: timesOutAt };
}
