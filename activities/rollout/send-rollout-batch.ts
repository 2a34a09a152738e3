import type { ActivityDependencies } from '../dependencies.ts';
import type { ConsentDecision, WhatsAppState } from '../../database/schema.ts';
import { cohortOf } from './cohorts.ts';
import { fieldValue, personalize } from './personalize.ts';
import { rolloutSender, type RolloutMessage } from './rollout-sender.ts';
import { loadRolloutPlan, scenarioOf } from './rollout-plans.ts';
import { sendingDecision, SERVICE_WINDOW_MS } from './sending-policy.ts';
import { whatsAppRoom } from './messaging-limit.ts';
import { releaseUnconfirmed } from './unconfirmed-sends.ts';

export interface RolloutBatchResult {
  sent: number;
  /** Contacts kept back (the WhatsApp messaging limit is spent, a send is not confirmed yet): the batch is due again then. */
  retryAt: number | null;
}

interface AudienceRow {
  contact_id: string;
  bucket: number;
  held_out: string | null;
  e164: string;
  old_channel: 'sms' | 'viber';
  old_vendor: string;
  old_address: string;
  name: string | null;
  country: string | null;
  whatsapp_state: WhatsAppState | null;
  decision: ConsentDecision | null;
  last_whatsapp_inbound_at: Date | null;
}

/**
 * Sends one scenario to one batch of the rollout's audience, each contact on the channel and in the form the
 * sending policy chooses from what is known right now (consent, a WhatsApp failure, the service window). Contacts
 * the scenario already reached are skipped, so a retried or repeated call sends only what is missing; a send whose
 * answer was lost goes again once `unconfirmedResendAfter` passed with no status proving it went out.
 */
export function sendRolloutBatchActivity(dependencies: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  const { db, messaging, clock } = dependencies;
  const send = rolloutSender(dependencies);
  return async function sendRolloutBatch(rolloutId: string, scenarioId: string, batchNo: number): Promise<RolloutBatchResult> {
    const plan = await loadRolloutPlan(db, rolloutId);
    const scenario = scenarioOf(plan, scenarioId);
    const now = clock();
    const unconfirmedDueAt = await releaseUnconfirmed(db, { rolloutId, scenarioId, attempt: 'first', batchNo }, plan.unconfirmedResendAfterMs, now);
    const audience = await db
      .selectFrom('rollout_audience as a')
      .innerJoin('contacts as c', 'c.id', 'a.contact_id')
      .leftJoin('consent_states as s', 's.e164', 'a.e164')
      .select(['a.contact_id', 'a.bucket', 'a.held_out', 'a.e164', 'a.old_channel', 'a.old_vendor', 'a.old_address', 'c.name', 'c.country', 'c.whatsapp_state', 's.decision'])
      .select((e) =>
        e
          .selectFrom('inbound_messages as i')
          .select((i) => i.fn.max('i.event_at').as('at'))
          .where('i.channel', '=', 'whatsapp')
          .whereRef('i.sender', '=', 'a.e164')
          .where('i.event_at', '>', new Date(now.getTime() - SERVICE_WINDOW_MS))
          .as('last_whatsapp_inbound_at'),
      )
      .where('a.rollout_id', '=', rolloutId)
      .where('a.batch_no', '=', batchNo)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('rollout_sends as r')
              .select('r.id')
              .where('r.rollout_id', '=', rolloutId)
              .where('r.scenario_id', '=', scenarioId)
              .whereRef('r.contact_id', '=', 'a.contact_id')
              .where('r.attempt', '=', 'first'),
          ),
        ),
      )
      .orderBy('a.contact_id')
      .execute();

    const session = scenario.whatsApp.session;
    const messages: RolloutMessage[] = [];
    for (const row of audience as AudienceRow[]) {
      const cohort = row.held_out === null ? cohortOf(row.bucket, scenario.cohorts) : null;
      const decision = sendingDecision({
        cohortChannel: cohort?.channel ?? 'old',
        consent: row.decision,
        whatsAppState: row.whatsapp_state,
        lastWhatsAppInboundAt: row.last_whatsapp_inbound_at === null ? null : new Date(row.last_whatsapp_inbound_at),
        hasSessionForm: session !== undefined,
        now,
      });
      if (decision.channel === 'none') continue;
      const common = { rolloutId, scenarioId, contactId: String(row.contact_id), cohort: cohort?.name ?? row.held_out!, attempt: 'first' as const, reason: decision.reason };
      if (decision.channel === 'old') {
        messages.push({ ...common, ...oldChannelMessage(row, scenario.oldChannel.text) });
      } else if (decision.form === 'session') {
        const content: RolloutMessage['content'] =
          'text' in session!
            ? { kind: 'text', text: personalize(session.text, row) }
            : { kind: 'interactive', interactive: { ...session!.interactive, body: { text: personalize(session!.interactive.body.text, row) } } };
        messages.push({ ...common, channel: 'whatsapp', vendor: 'whatsapp', form: 'session', address: row.e164, content });
      } else {
        const { name, language, variables = [] } = scenario.whatsApp.template;
        const parameters = variables.map((v) => fieldValue(row, v.field) || v.ifMissing);
        messages.push({ ...common, channel: 'whatsapp', vendor: 'whatsapp', form: 'template', address: row.e164, content: { kind: 'template', name, language, parameters } });
      }
    }

    // Templates reach customers outside their window: those count against the business's messaging limit.
    const templates = messages.filter((m) => m.form === 'template');
    let retryAt = unconfirmedDueAt;
    let kept = new Set<RolloutMessage>();
    if (templates.length > 0) {
      const { room, freesAt } = await whatsAppRoom(db, messaging.whatsAppMessagingLimit, now);
      if (room < templates.length) {
        kept = new Set(templates.slice(Math.max(0, room)));
        retryAt = Math.min(retryAt ?? freesAt, freesAt);
      }
    }
    const sent = await send(messages.filter((m) => !kept.has(m)), plan.viberSender);
    return { sent, retryAt };
  };
}

/** The scenario's old-channel text to the address the contact's old channel knows them by. */
export function oldChannelMessage(
  row: { old_channel: 'sms' | 'viber'; old_vendor: string; old_address: string; name: string | null; country: string | null },
  text: string,
): Pick<RolloutMessage, 'channel' | 'vendor' | 'form' | 'address' | 'content'> {
  return { channel: row.old_channel, vendor: row.old_vendor, form: 'text', address: row.old_address, content: { kind: 'text', text: personalize(text, row) } };
}
