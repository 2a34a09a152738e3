import { msToNumber } from '@temporalio/common/lib/time.js';
import type { InteractiveMessage } from '../connectors/whatsapp/interactive-message.ts';
import { isDuration, type SmsVendor } from './opt-in-campaign-input.ts';

/**
 * A staged rollout of a migration's scenarios to WhatsApp, as a person writes it (a config file, or the Temporal UI's
 * form). Only consenting contacts with a known old channel take part in the comparison; the others get every
 * scenario on their old channel and are reported apart. Texts are the business's words; no customer data here.
 */
export interface ScenarioRolloutInput {
  /** Names the rollout (workflow id `rollout-<id>`) and seeds its cohort assignment: 1 to 63 of a-z, 0-9, "-", "_". */
  rolloutId: string;
  /** The migration whose contacts (and their opt-in campaign's consents and channels) the rollout reaches. */
  migrationId: string;
  /** Run by stage: every `non-critical` scenario first, then `standard`, then `critical`; a stage starts when the one before finished. */
  scenarios: RolloutScenario[];
  /** The SMS vendor for contacts the opt-in campaign did not reach, unless `smsVendorByCountry` names one. Default "vonage". */
  smsVendor?: SmsVendor;
  smsVendorByCountry?: Record<string, SmsVendor>;
  /** The Viber bot's name as customers see it. Default "Updates". */
  viberSender?: string;
  /**
   * A message whose answer was lost (a worker died or the request timed out mid-send) is sent again only when no
   * status or receipt came within this time to prove it went out. Default "10 minutes".
   */
  unconfirmedResendAfter?: string;
  /** Contacts per batch (one activity sends one batch of one scenario). Default 500. */
  batchSize?: number;
  /** Batches sent side by side. Default 4. */
  concurrency?: number;
}

export type RolloutStage = 'non-critical' | 'standard' | 'critical';

export interface RolloutScenario {
  /** Names the scenario in the report: 1 to 63 of a-z, 0-9, "-", "_". */
  id: string;
  /** `non-critical` (newsletters) goes first, `critical` (payments) last. */
  stage: RolloutStage;
  whatsApp: {
    /** The approved template every contact outside their 24-hour window gets. */
    template: {
      name: string;
      /** Meta's language code, like "en" or "en_US". */
      language: string;
      /** The body's variables `{{1}}`, `{{2}}`, ... in order: which contact field fills each, and the word used when it is empty. */
      variables?: { field: ContactField; ifMissing: string }[];
    };
    /**
     * Sent instead of the template to contacts who wrote on WhatsApp within the last 24 hours (free-form or
     * interactive messages are allowed only then): a text, or reply buttons or a list as Meta's `interactive` object.
     * The name, first name and country are filled in, in any placeholder form (`{{first_name}}`, `[First Name]`,
     * `{first_name}`, `%first_name%`); in an interactive message, in its body.
     */
    session?: { text: string } | { interactive: InteractiveMessage };
  };
  /** The SMS or Viber text, with the same placeholders. */
  oldChannel: { text: string };
  /** Which share of the comparison gets the scenario on which channel; percents are whole numbers summing to 100. */
  cohorts: RolloutCohort[];
  /**
   * WhatsApp messages that fail with 131026 (not on WhatsApp) or 131047 (outside the window), or are not delivered
   * within `deliveryTimeout` (a duration like "10 minutes"), go out once more on the old channel. Default: none.
   */
  fallback?: { to: 'old-channel' | 'none'; deliveryTimeout?: string };
}

export interface RolloutCohort {
  /** Names the cohort in the report: 1 to 63 of a-z, 0-9, "-", "_". */
  name: string;
  channel: 'whatsapp' | 'old';
  percent: number;
}

export type ContactField = 'name' | 'first_name' | 'country';
export const contactFields: readonly ContactField[] = ['name', 'first_name', 'country'];
export const rolloutStages: readonly RolloutStage[] = ['non-critical', 'standard', 'critical'];

export const rolloutDefaults = { smsVendor: 'vonage' as SmsVendor, viberSender: 'Updates', batchSize: 500, concurrency: 4, deliveryTimeout: '10 minutes', unconfirmedResendAfter: '10 minutes' };

/** The input with defaults filled in and durations in milliseconds: what the activities work with. */
export interface RolloutPlan {
  rolloutId: string;
  migrationId: string;
  scenarios: (RolloutScenario & { fallbackTimeoutMs: number | null })[];
  smsVendor: SmsVendor;
  smsVendorByCountry: Record<string, SmsVendor>;
  viberSender: string;
  unconfirmedResendAfterMs: number;
  batchSize: number;
  concurrency: number;
}

export function rolloutWorkflowId(rolloutId: string): string {
  return `rollout-${rolloutId}`;
}

export function rolloutPlan(input: ScenarioRolloutInput): RolloutPlan {
  return {
    rolloutId: input.rolloutId,
    migrationId: input.migrationId,
    scenarios: input.scenarios.map((scenario) => ({
      ...scenario,
      fallbackTimeoutMs: scenario.fallback?.to === 'old-channel' ? msToNumber((scenario.fallback.deliveryTimeout ?? rolloutDefaults.deliveryTimeout) as never) : null,
    })),
    smsVendor: input.smsVendor ?? rolloutDefaults.smsVendor,
    smsVendorByCountry: input.smsVendorByCountry ?? {},
    viberSender: input.viberSender ?? rolloutDefaults.viberSender,
    unconfirmedResendAfterMs: msToNumber((input.unconfirmedResendAfter ?? rolloutDefaults.unconfirmedResendAfter) as never),
    batchSize: input.batchSize ?? rolloutDefaults.batchSize,
    concurrency: input.concurrency ?? rolloutDefaults.concurrency,
  };
}

/** The scenarios of each stage, stages in the order they run; empty stages left out. */
export function scenariosByStage<S extends { stage: RolloutStage }>(scenarios: S[]): S[][] {
  return rolloutStages.map((stage) => scenarios.filter((s) => s.stage === stage)).filter((group) => group.length > 0);
}

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const idRule = '1 to 63 characters of a-z, 0-9, "-" and "_"';

/** Every problem with a rollout input, each naming its field. */
export function rolloutInputProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['the input: an object is required'];
  const input = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof input.rolloutId !== 'string' || !ID.test(input.rolloutId)) problems.push(`rolloutId: ${idRule}`);
  if (typeof input.migrationId !== 'string' || input.migrationId === '') problems.push('migrationId: the migration whose contacts the rollout reaches');
  if (input.smsVendor !== undefined && input.smsVendor !== 'vonage' && input.smsVendor !== 'plivo') problems.push('smsVendor: "vonage" or "plivo"');
  for (const [country, vendor] of Object.entries((input.smsVendorByCountry as object | undefined) ?? {})) {
    if (!/^[A-Z]{2}$/.test(country) || (vendor !== 'vonage' && vendor !== 'plivo')) problems.push(`smsVendorByCountry.${country}: an ISO country code mapped to "vonage" or "plivo"`);
  }
  if (input.viberSender !== undefined && (typeof input.viberSender !== 'string' || input.viberSender.length < 1 || input.viberSender.length > 28)) {
    problems.push("viberSender: the bot's display name, 1 to 28 characters");
  }
  if (input.unconfirmedResendAfter !== undefined && !isDuration(input.unconfirmedResendAfter)) problems.push('unconfirmedResendAfter: a duration like "10 minutes" or "30s"');
  for (const [field, max] of [['batchSize', 10_000], ['concurrency', 32]] as const) {
    const n = input[field];
    if (n !== undefined && (!Number.isInteger(n) || (n as number) < 1 || (n as number) > max)) problems.push(`${field}: a whole number from 1 to ${max}`);
  }
  if (!Array.isArray(input.scenarios) || input.scenarios.length === 0) return [...problems, 'scenarios: a list of at least one scenario'];
  const seen = new Set<string>();
  input.scenarios.forEach((scenario, index) => {
    const id = (scenario as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && seen.has(id)) problems.push(`scenarios[${index}].id: "${id}" is used twice`);
    if (typeof id === 'string') seen.add(id);
    problems.push(...scenarioProblems(scenario, `scenarios[${index}]`));
  });
  return problems;
}

function scenarioProblems(value: unknown, at: string): string[] {
  if (typeof value !== 'object' || value === null) return [`${at}: an object is required`];
  const s = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof s.id !== 'string' || !ID.test(s.id)) problems.push(`${at}.id: ${idRule}`);
  if (!rolloutStages.includes(s.stage as RolloutStage)) problems.push(`${at}.stage: one of ${rolloutStages.map((x) => `"${x}"`).join(', ')}`);
  const whatsApp = s.whatsApp as Record<string, unknown> | undefined;
  const template = whatsApp?.template as Record<string, unknown> | undefined;
  if (typeof template?.name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(template.name)) problems.push(`${at}.whatsApp.template.name: an approved template name (a-z, 0-9, _)`);
  if (typeof template?.language !== 'string' || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(template.language)) problems.push(`${at}.whatsApp.template.language: a language code like "en" or "en_US"`);
  if (template?.variables !== undefined) {
    if (!Array.isArray(template.variables)) problems.push(`${at}.whatsApp.template.variables: a list of { "field", "ifMissing" }`);
    else
      template.variables.forEach((v: { field?: unknown; ifMissing?: unknown } | null, i) => {
        if (!contactFields.includes(v?.field as ContactField)) problems.push(`${at}.whatsApp.template.variables[${i}].field: one of ${contactFields.join(', ')}`);
        if (typeof v?.ifMissing !== 'string' || v.ifMissing.trim() === '') problems.push(`${at}.whatsApp.template.variables[${i}].ifMissing: a word to use when the field is empty`);
      });
  }
  if (whatsApp?.session !== undefined) problems.push(...sessionProblems(whatsApp.session, `${at}.whatsApp.session`));
  if (!nonEmptyText((s.oldChannel as Record<string, unknown> | undefined)?.text, 1600)) problems.push(`${at}.oldChannel.text: a text of 1 to 1,600 characters`);
  problems.push(...cohortProblems(s.cohorts, `${at}.cohorts`));
  if (s.fallback !== undefined) {
    const f = s.fallback as Record<string, unknown> | null;
    if (f?.to !== 'old-channel' && f?.to !== 'none') problems.push(`${at}.fallback.to: "old-channel" or "none"`);
    if (f?.deliveryTimeout !== undefined && !isDuration(f.deliveryTimeout)) problems.push(`${at}.fallback.deliveryTimeout: a duration like "10 minutes" or "30s"`);
  }
  return problems;
}

function sessionProblems(value: unknown, at: string): string[] {
  const session = value as { text?: unknown; interactive?: { type?: unknown; body?: { text?: unknown } } } | null;
  if (session?.text !== undefined && session.interactive === undefined) return nonEmptyText(session.text, 4096) ? [] : [`${at}.text: a text of 1 to 4,096 characters`];
  if (session?.interactive !== undefined && session.text === undefined) {
    const { type, body } = session.interactive;
    const problems: string[] = [];
    if (type !== 'button' && type !== 'list') problems.push(`${at}.interactive.type: "button" or "list"`);
    if (!nonEmptyText(body?.text, 1024)) problems.push(`${at}.interactive.body.text: a text of 1 to 1,024 characters`);
    return problems;
  }
  return [`${at}: either { "text" } or { "interactive" }`];
}

function cohortProblems(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.length === 0) return [`${at}: a list like [{ "name": "wa", "channel": "whatsapp", "percent": 50 }, { "name": "control", "channel": "old", "percent": 50 }]`];
  const problems: string[] = [];
  const names = new Set<string>();
  let total = 0;
  value.forEach((c: Record<string, unknown> | null, i) => {
    if (typeof c?.name !== 'string' || !ID.test(c.name)) problems.push(`${at}[${i}].name: ${idRule}`);
    else if (names.has(c.name)) problems.push(`${at}[${i}].name: "${c.name}" is used twice`);
    else names.add(c.name);
    if (c?.channel !== 'whatsapp' && c?.channel !== 'old') problems.push(`${at}[${i}].channel: "whatsapp" or "old"`);
    if (!Number.isInteger(c?.percent) || (c!.percent as number) < 0 || (c!.percent as number) > 100) problems.push(`${at}[${i}].percent: a whole number from 0 to 100`);
    else total += c!.percent as number;
  });
  if (problems.length === 0 && total !== 100) problems.push(`${at}: the percents add up to ${total}, not 100`);
  return problems;
}

function nonEmptyText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.trim() !== '' && value.length <= max;
}
