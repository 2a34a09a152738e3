import type { ColumnType, Generated } from 'kysely';
import type { MessageTemplateDefinition, TemplateStatus } from '../connectors/whatsapp/message-template.ts';
import type { ConvertedVariable } from '../scenarios/convert/conversion.ts';

/** One row of a source as read. Never changed or deleted: with its normalised number it is a contact's provenance. */
export interface StagedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  /** The channel the business reaches this customer on today (sms, viber). */
  channel: string;
  phone_raw: string | null;
  name: string | null;
  country: string | null;
  last_interaction_at: Date | null;
  viber_user_id: string | null;
  raw: ColumnType<Record<string, unknown>, string, string>;
  /** The vendor's id of the record, or a file row's fingerprint: a record read twice is staged once. */
  record_key: string | null;
  /** Where a file row starts in its file (`line_no` is the row's place in staging). */
  file_line: number | null;
  direction: 'inbound' | 'outbound' | null;
  delivery_status: string | null;
}

/** What cleaning made of a staged row: its E.164 number and line type, or the reason it has none. */
export interface NormalizedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  e164: string | null;
  /** The region the number belongs to, which may differ from the row's `country`. */
  number_region: string | null;
  line_type: string | null;
  reject_reason: string | null;
}

/** One person: every staged row with the same E.164 number, merged. */
export interface ContactTable {
  id: ColumnType<string, never, never>;
  migration_id: string;
  e164: string;
  name: string | null;
  country: string | null;
  line_type: string | null;
  channels: string[];
  last_interaction_at: Date | null;
  viber_user_id: string | null;
  /** How many staged rows were merged into this contact. */
  source_rows: number;
  messages_inbound: ColumnType<number, number | undefined, number>;
  messages_outbound: ColumnType<number, number | undefined, number>;
  /** The delivery status of the latest outbound message, as its vendor reported it. */
  last_delivery_status: string | null;
  batch_no: number | null;
  /** The verification's estimate of whether the number has WhatsApp, before any WhatsApp message confirms it. */
  reachability: Reachability | null;
  /** What the estimate rests on: the line type, a carrier lookup's answer, a contacts check's answer. */
  reachability_evidence: ColumnType<ReachabilityEvidence | null, string | null, string | null>;
  /** Inactive or unlikely to be on WhatsApp: kept for a re-engagement campaign on the old channel. */
  reengage: ColumnType<boolean, boolean | undefined, boolean>;
  wa_id: string | null;
  verified_at: Date | null;
  /** What the welcome template's delivery proved; null until one was sent. */
  whatsapp_state: WhatsAppState | null;
  whatsapp_settled_at: Date | null;
  /**
   * Moves on with every change a CRM shows (a trigger sets it); with the consent state's own version, the greater
   * of the two is the contact's version, and a CRM that has received less is due a write.
   */
  crm_version: ColumnType<string, never, never>;
}

export type Reachability = 'likely' | 'unlikely' | 'unknown';

export interface ReachabilityEvidence {
  lineType: string | null;
  carrier?: { vendor: string; lineType: string; name?: string; ported?: boolean };
  contactsCheck?: { status: string };
  lastInteractionAt?: string | null;
}

/**
 * `sent`: the welcome template was accepted, no status yet. `active`: delivered or read (the contact has WhatsApp).
 * `not_on_whatsapp`: failed with 131026, the contact stays on the old channel. `failed`: another failure.
 * `unknown`: no status came within the activation timeout.
 */
export type WhatsAppState = 'sent' | 'active' | 'not_on_whatsapp' | 'failed' | 'unknown';

/**
 * Sources that disagree in a way a merge must not guess at: one Viber user with two phone numbers
 * (`subject` the Viber id), or one phone number claimed by two Viber users (`subject` the number).
 */
export interface MergeConflictTable {
  migration_id: string;
  kind: 'viber_user_with_several_numbers' | 'number_with_several_viber_users';
  subject: string;
  claims: string[];
}

/** The state row of one batch of contacts, so a resumed run starts at the first unfinished one. */
export interface ContactBatchTable {
  migration_id: string;
  batch_no: number;
  contact_count: number;
  verified_at: Date | null;
  /** The run (its first run id) that planned the batch: an incremental run verifies only the batches it planned. */
  pass_id: string | null;
}

/** A row a vendor refused, with the vendor's reason, kept for a later retry. */
export interface DeadLetterTable {
  id: Generated<number>;
  migration_id: string;
  stage: string;
  contact_id: ColumnType<string, string | number, never>;
  vendor: string;
  reason: string;
  created_at: Generated<Date>;
  /** When `channelshift dlq retry` last sent the row again. */
  retried_at: Date | null;
  /** When a later write of the contact succeeded; open dead letters have none. */
  resolved_at: Date | null;
}

/** What one activity of the CRM sync wrote, over all its attempts. */
export interface CrmSyncSliceTable {
  /** `workflow id/run id/activity id`: the same in every attempt. */
  slice: string;
  written: ColumnType<number, number | undefined, number>;
  unchanged: ColumnType<number, number | undefined, number>;
  failed: ColumnType<number, number | undefined, number>;
  started_at: ColumnType<Date, Date | undefined, never>;
}

/**
 * What one CRM last received of a contact, and the lease of the writer sending it now: writes of one contact
 * never overlap, so the later write always carries the later state.
 */
export interface CrmSyncStateTable {
  crm: string;
  /** The CRM account (`CrmClient.account`): another portal or org has its own state. */
  account: string;
  contact_id: ColumnType<string, string | number, never>;
  record_id: string | null;
  synced_version: ColumnType<string, string | number | undefined, string | number>;
  /** The fields sent, hashed: a change the CRM would not see is not written again. */
  synced_fingerprint: string | null;
  synced_at: Date | null;
  lease_token: string | null;
  lease_until: Date | null;
}

/**
 * Where one source's extraction stands: the cursor of the last page staged (written in the same transaction as
 * that page's rows), the pass an incremental run is on, and the vendor request times still inside the rate window.
 */
export interface ExtractCheckpointTable {
  migration_id: string;
  source: string;
  kind: string;
  /** 1 for the first extraction; an incremental run starts the next pass. */
  pass: number;
  /** The workflow run that started this pass, so a replayed or resumed run continues it instead of starting another. */
  pass_run_id: string;
  /** The pass reads what changed from `since` (null: from the source's start) until `until`. */
  since: Date | null;
  until: Date | null;
  cursor: ColumnType<unknown, string | null, string | null>;
  done: boolean;
  /** Where the next incremental pass starts. */
  watermark: Date | null;
  next_line: number;
  rows_staged: number;
  quarantined: number;
  /** Epoch milliseconds of the latest vendor requests, oldest first, so a resumed worker keeps to the limit. */
  request_times: ColumnType<number[], string, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** A piece of a file that could not be read as a row, with the reason; the run went on without it. */
export interface QuarantinedRowTable {
  id: Generated<number>;
  migration_id: string;
  source: string;
  file: string;
  file_line: number;
  reason: string;
  content: string;
  created_at: Generated<Date>;
}

/** A Viber bot subscriber as the webhook's callbacks described them (Viber has no list to download). */
export interface ViberSubscriberTable {
  /** The bot (a worker's VIBER_BOT) the user subscribed to: Viber's user ids are per bot. */
  bot: string;
  user_id: string;
  name: string | null;
  country: string | null;
  language: string | null;
  /** Known only once the user shared it with the share-phone button. */
  phone: string | null;
  subscribed: boolean;
  subscribed_at: Date | null;
  unsubscribed_at: Date | null;
  last_event_at: Date;
  /** When this row last changed: incremental extraction reads rows changed since its watermark. */
  updated_at: Date;
}

/** Every Viber callback, stored once by its bot, `message_token` and event: a callback Viber sends again changes nothing. */
export interface ViberEventTable {
  bot: string;
  message_token: string;
  event: string;
  user_id: string | null;
  event_at: Date;
  body: ColumnType<Record<string, unknown>, string, string>;
  received_at: Generated<Date>;
}

/** Calls to Viber's `get_user_details`, which allows two per user per 12 hours. */
export interface ViberUserDetailsCallTable {
  user_id: string;
  called_at: Date;
}

/** One carrier lookup's answer, stored as it arrives so a resumed batch does not ask again. */
export interface CarrierLookupTable {
  migration_id: string;
  contact_id: ColumnType<string, string | number, never>;
  vendor: string;
  answer: ColumnType<Record<string, unknown>, string, string>;
  looked_up_at: Date;
}

/** An opt-in campaign: its configuration (so a webhook can start its workflow again), its plan, and when it closed. */
export interface CampaignTable {
  campaign_id: string;
  migration_id: string;
  config: ColumnType<Record<string, unknown>, string, string>;
  batches: number;
  recipients: number;
  created_at: Generated<Date>;
  closed_at: Date | null;
}

/** A contact the campaign asks, on which channel and vendor, at which address, in which language. */
export interface CampaignRecipientTable {
  campaign_id: string;
  contact_id: ColumnType<string, string | number, never>;
  batch_no: number;
  e164: string;
  channel: 'sms' | 'viber';
  vendor: 'vonage' | 'plivo' | 'viber';
  /** What the vendor knows the customer by: the E.164 number for SMS, the Viber user id for Viber. */
  address: string;
  language: string;
  country: string | null;
  /** The latest decided reply to this campaign; null while none came. */
  decision: ConsentDecision | null;
  decided_at: Date | null;
}

/**
 * A message the product sent or was about to send. The row is written (`sending`) before the request goes out, so
 * no step reaches a contact twice; a receipt settles a send whose answer was lost with a worker.
 */
export interface OutboundMessageTable {
  id: Generated<string>;
  campaign_id: string;
  contact_id: ColumnType<string, string | number, never>;
  step: CampaignStep;
  vendor: string;
  address: string;
  state: 'sending' | 'sent' | 'delivered' | 'failed';
  vendor_message_id: string | null;
  intent_at: Date;
  sent_at: Date | null;
  receipt_at: Date | null;
  error: string | null;
}

export type CampaignStep = 'notice' | 'reminder' | 'welcome';

/** Every message a customer sent us, stored once by its vendor id, with what it was read as. */
export interface InboundMessageTable {
  provider: string;
  provider_message_id: string;
  channel: string;
  sender: string;
  text: string;
  intent: 'yes' | 'stop' | 'undecided';
  event_at: Date;
  received_at: Generated<Date>;
  campaign_id: string | null;
  contact_id: ColumnType<string | null, string | number | null, never>;
}

export type ConsentDecision = 'granted' | 'withdrawn';

/** Evidence of consent: who decided, when, on which channel, by which message, in which words. Never updated. */
export interface ConsentLedgerTable {
  id: Generated<string>;
  e164: string;
  decision: ConsentDecision;
  channel: string;
  provider: string;
  provider_message_id: string;
  address: string;
  text: string;
  event_at: Date;
  recorded_at: Generated<Date>;
  campaign_id: string | null;
  contact_id: ColumnType<string | null, string | number | null, never>;
}

/** A number's current decision: the ledger's latest entry by the time the customer wrote it. */
export interface ConsentStateTable {
  e164: string;
  decision: ConsentDecision;
  event_at: Date;
  ledger_id: ColumnType<string, string | number, string | number>;
  /** Moves on with each new decision (a trigger sets it): the number's contacts are due in every CRM. */
  crm_version: ColumnType<string, never, never>;
}

/** WhatsApp status webhooks, once per message and status. */
export interface WhatsAppStatusEventTable {
  wamid: string;
  status: string;
  event_at: Date;
  wa_id: string;
  error_codes: ColumnType<number[], string, string>;
  received_at: Generated<Date>;
}

/** A scenario rollout: its configuration (the workflow's input) and its audience's size, planned once. */
export interface RolloutTable {
  rollout_id: string;
  migration_id: string;
  config: ColumnType<Record<string, unknown>, string, string>;
  batches: number;
  audience: number;
  created_at: Generated<Date>;
}

/** A contact a rollout reaches: its cohort bucket, its old channel, and why it is outside the comparison if it is. */
export interface RolloutAudienceTable {
  rollout_id: string;
  contact_id: ColumnType<string, string | number, never>;
  batch_no: number;
  /** 0–99, from a hash of the rollout id and the contact id: the same contact always lands in the same cohort. */
  bucket: number;
  /** Null for contacts in the A/B comparison; otherwise why they get every scenario on the old channel. */
  held_out: RolloutHeldOut | null;
  e164: string;
  old_channel: 'sms' | 'viber';
  old_vendor: 'vonage' | 'plivo' | 'viber';
  /** E.164 for SMS, the Viber user id for Viber. */
  old_address: string;
}

/** `no-consent`: the number never said yes. `not-on-whatsapp`: a WhatsApp message already failed with 131026. */
export type RolloutHeldOut = 'no-consent' | 'not-on-whatsapp';

/**
 * One message of a rollout's scenario to one contact, written (`sending`) before the request goes out; the status
 * webhooks fill in what became of it. A fallback is a second row (`attempt` = 'fallback') naming the first.
 */
export interface RolloutSendTable {
  id: Generated<string>;
  rollout_id: string;
  scenario_id: string;
  contact_id: ColumnType<string, string | number, never>;
  /** The cohort's name, or the held-out group for contacts outside the comparison. */
  cohort: string;
  attempt: 'first' | 'fallback';
  channel: 'whatsapp' | 'sms' | 'viber';
  vendor: string;
  form: 'template' | 'session' | 'text';
  /** Why this channel and form (the sending policy's reason). */
  reason: string;
  address: string;
  state: 'sending' | 'sent' | 'failed';
  vendor_message_id: string | null;
  fallback_of: ColumnType<string | null, string | number | null, never>;
  intent_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  /** WhatsApp's `read`; SMS has no read receipt. */
  read_at: Date | null;
  failed_at: Date | null;
  /** Meta's code on a failed WhatsApp status (131026, 131047, ...). */
  error_code: number | null;
  error: string | null;
}

export interface Database {
  staged_rows: StagedRowTable;
  normalized_rows: NormalizedRowTable;
  contacts: ContactTable;
  merge_conflicts: MergeConflictTable;
  contact_batches: ContactBatchTable;
  dead_letters: DeadLetterTable;
  crm_sync_state: CrmSyncStateTable;
  crm_sync_slices: CrmSyncSliceTable;
  extract_checkpoints: ExtractCheckpointTable;
  quarantined_rows: QuarantinedRowTable;
  viber_subscribers: ViberSubscriberTable;
  viber_events: ViberEventTable;
  viber_user_details_calls: ViberUserDetailsCallTable;
  carrier_lookups: CarrierLookupTable;
  campaigns: CampaignTable;
  campaign_recipients: CampaignRecipientTable;
  outbound_messages: OutboundMessageTable;
  inbound_messages: InboundMessageTable;
  consent_ledger: ConsentLedgerTable;
  consent_states: ConsentStateTable;
  whatsapp_status_events: WhatsAppStatusEventTable;
  rollouts: RolloutTable;
  rollout_audience: RolloutAudienceTable;
  rollout_sends: RolloutSendTable;
  whatsapp_templates: WhatsAppTemplateTable;
  erasure_requests: ErasureRequestTable;
  webhook_nonces: WebhookNonceTable;
  backup_archives: BackupArchiveTable;
}

/** A template converted from a scenario, and where Meta's review of it stands. */
export interface WhatsAppTemplateTable {
  name: string;
  language: string;
  /** As submitted to `/{waba-id}/message_templates`. */
  definition: ColumnType<MessageTemplateDefinition, string, string>;
  /** Each variable's parameter, the placeholder it came from, and the contact or order field that fills it. */
  variables: ColumnType<ConvertedVariable[], string, string>;
  /** The scenario it came from: `file.csv line 4`. */
  origin: string;
  /** `DRAFT` until submitted; then Meta's status. */
  status: TemplateStatus | 'DRAFT';
  template_id: string | null;
  /** Meta's reason for a rejection. */
  reason: string | null;
  submitted_at: Date | null;
  decided_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * A request to erase one person. What remains once it is done is the evidence that it was carried out: a keyed hash
 * of the number (HMAC-SHA256 with the erasure key), when, and how many records each place gave up.
 */
/** A nonce a vendor signed a webhook with, where its signature leaves the body unsigned: accepted once. */
export interface WebhookNonceTable {
  vendor: string;
  nonce: string;
  seen_at: ColumnType<Date, Date | undefined, never>;
}

export interface ErasureRequestTable {
  id: string;
  subject_hash: string;
  /** The number, only while the request is pending (the workflow carries the request id, never the number). */
  e164: string | null;
  requested_at: ColumnType<Date, Date | undefined, never>;
  completed_at: Date | null;
  /** Records removed per place (`table:contacts`, `crm:hubspot`, `backup:<archive path>`). */
  removed: ColumnType<Record<string, number> | null, string | null, string | null>;
}

/** Where each backup archive was written, so an erasure reaches every copy of a raw extract. */
export interface BackupArchiveTable {
  /** The backup folder, absolute. */
  dir: string;
  migration_id: string;
  /** The archive's file name in the migration's folder. */
  file: string;
  recorded_at: Generated<Date>;
}
