import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDependencies } from '../dependencies.ts';
import { requireMessaging } from './messaging-connectors.ts';
import { isUnansweredSend } from '../../connectors/vendor-failure.ts';

/** What a vendor did with one message we asked it to send, by the id of the message's row (written before it went). */
export type SendOutcome =
  | { kind: 'sent'; id: string; vendorMessageId: string; at: Date }
  | { kind: 'refused'; id: string; reason: string }
  | { kind: 'retry' | 'unconfirmed'; id: string; failure: unknown };

/** One SMS or Viber message to send; `reference` goes with it (Vonage client-ref, Plivo status URL) for its receipt. */
export interface OldChannelMessage {
  id: string;
  vendor: string;
  address: string;
  text: string;
  reference: string;
}

/**
 * SMS through Vonage or Plivo and Viber broadcasts, as the opt-in campaign and the scenario rollouts send them: each
 * message's outcome, never a throw, except for a vendor this worker has no credentials for, which fails the whole step.
 */
export function oldChannelSender({ messaging, clock }: Pick<ActivityDependencies, 'messaging' | 'clock'>) {
  return {
    async sms(m: OldChannelMessage): Promise<SendOutcome> {
      const vonage = m.vendor === 'vonage' ? requireMessaging(messaging, 'vonageSms') : undefined;
      const plivo = m.vendor === 'plivo' ? requireMessaging(messaging, 'plivoSms') : undefined;
      const webhooks = messaging.publicWebhookUrl;
      try {
        if (vonage) {
          const { messageId } = await vonage.client.send({
            from: vonage.from,
            to: m.address,
            text: m.text,
            clientRef: m.reference,
            callbackUrl: webhooks && `${webhooks}/webhooks/vonage/delivery-receipt`,
          });
          return { kind: 'sent', id: m.id, vendorMessageId: messageId, at: clock() };
        }
        const { messageUuid } = await plivo!.client.send({ src: plivo!.from, dst: m.address, text: m.text, statusUrl: webhooks && `${webhooks}/webhooks/plivo/status?ref=${m.reference}` });
        return { kind: 'sent', id: m.id, vendorMessageId: messageUuid, at: clock() };
      } catch (failure) {
        return unsentOutcome(m.id, failure);
      }
    },

    /** Viber takes up to 300 receivers of one text per call: the messages are grouped by their text. */
    async viber(messages: readonly OldChannelMessage[], senderName: string): Promise<SendOutcome[]> {
      const viber = requireMessaging(messaging, 'viberBot');
      const byText = new Map<string, OldChannelMessage[]>();
      for (const m of messages) byText.set(m.text, [...(byText.get(m.text) ?? []), m]);
      const outcomes: SendOutcome[] = [];
      for (const [text, group] of byText) {
        try {
          const { messageToken, failed } = await viber.broadcastMessage({ receivers: group.map((m) => m.address), text, senderName });
          const at = clock();
          const reasonOf = new Map(failed.map((f) => [f.receiver, `Viber status ${f.status}: ${f.statusMessage}`]));
          for (const m of group) {
            const reason = reasonOf.get(m.address);
            outcomes.push(reason ? { kind: 'refused', id: m.id, reason } : { kind: 'sent', id: m.id, vendorMessageId: messageToken, at });
          }
        } catch (failure) {
          outcomes.push(...group.map((m) => unsentOutcome(m.id, failure)));
        }
      }
      return outcomes;
    },
  };
}

/** A send that failed: refused for good, to retry (not sent), or unconfirmed (no answer: the vendor may have sent it). */
export function unsentOutcome(id: string, failure: unknown): Exclude<SendOutcome, { kind: 'sent' }> {
  if (failure instanceof ApplicationFailure && failure.nonRetryable) return { kind: 'refused', id, reason: failure.message };
  // The row stays `sending` until a receipt naming our reference settles it, or its grace ends.
  if (isUnansweredSend(failure)) return { kind: 'unconfirmed', id, failure };
  return { kind: 'retry', id, failure };
}
