import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { whatsAppAddress, type EmulatedCustomers } from '../emulated-customers.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { emulatorWebhookSender } from '../emulator-webhook-sender.ts';
import { seededRandom } from '../seeded-random.ts';
import { busiestWindow } from '../busiest-window.ts';
import { WHATSAPP_THROUGHPUT } from './cloud-client.ts';
import {
  authorizationProblem,
  epochSeconds,
  graphError,
  invalidParameter,
  jsonObjectIn,
  metaJson,
  missingParameter,
  newWamid,
  unknownObject,
  type Answer,
} from './emulator-answers.ts';
import { messageContent, parametersMismatch, sendShapeOf, templateParameters, type MessageContent, type TemplateSendShape } from './emulator-messages.ts';
import {
  createEmulatedTemplates,
  TEMPLATE_CREATIONS_PER_HOUR,
  TEMPLATES_PER_WABA,
  type CreatedTemplate,
  type TemplateReview,
  type TemplateStatusChange,
} from './emulator-templates.ts';
import type { InteractiveMessage } from './interactive-message.ts';
import { signWhatsAppBody } from './webhook-signature.ts';

export type { CreatedTemplate, TemplateReview } from './emulator-templates.ts';

/** A template the emulated business had approved before the emulator started. */
export interface ApprovedTemplate {
  name: string;
  /** Meta's language code, like `en_US` or `ar`. */
  language: string;
  /** How many variables (`{{1}}`, ...) its body has. Default 0. */
  bodyParameters?: number;
}

export interface WhatsAppCloudEmulatorOptions {
  port?: number;
  accessToken?: string;
  phoneNumberId?: string;
  /** The WhatsApp Business Account's id: templates live under `/{version}/{businessAccountId}/message_templates`. */
  businessAccountId?: string;
  appSecret?: string;
  /** Templates approved before the emulator started. Default none; created templates join them once approved. */
  templates?: ApprovedTemplate[];
  customers: EmulatedCustomers;
  /** Messages the number takes per window. Default WHATSAPP_THROUGHPUT (80 per second). */
  throughput?: RateLimit;
  /** The pair rate limit: the least time between two messages to one customer. Default 6,000 ms. */
  pairIntervalMs?: number;
  /** Unique customers reached outside a service window per moving 24 hours (the messaging limit). Default 250. */
  messagingLimit?: number;
  /** How status webhooks arrive, drawn from a seeded generator so a run can be repeated. */
  statuses?: {
    /** Each step (accepted → sent → delivered → read) takes between these. Default 10 to 100 ms. */
    minDelayMs?: number;
    maxDelayMs?: number;
    /** Share of statuses (0 to 1) Meta sends a second time. Default 0. */
    duplicateRate?: number;
    /** Share of delivered messages (0 to 1) their customer reads; a customer who answers always read. Default 1. */
    readRate?: number;
    seed?: number;
  };
  /** The emulator's clock, in ms since the epoch. Default Date.now; `advanceClock` moves it on. */
  now?: () => number;
  /** How Meta reviews created templates. Default: approved 1 s after creation. */
  templateReview?: TemplateReview;
  /** Template creations per WABA in a moving hour. Default 100, Meta's. */
  templateCreationsPerHour?: number;
  /** Template names per WABA. Default 250, Meta's. */
  templateLimit?: number;
}

export interface SentTemplateMessage {
  wamid: string;
  /** As the request wrote it. */
  to: string;
  template: { name: string; language: string };
  /** When Meta accepted it, in ms since the epoch (the emulator's clock). */
  at: number;
  callbackData?: string;
}

export interface SendRefusal {
  at: number;
  status: number;
  /** Meta's error code. */
  code: number;
}

/** What became of an accepted message: the ground truth a test compares the product's reports with. */
export interface MessageOutcome {
  wamid: string;
  /** As the request wrote it. */
  to: string;
  kind: MessageContent['kind'];
  delivered: boolean;
  read: boolean;
  /** The error of its `failed` status: 131026 not on WhatsApp, 131047 outside the service window. */
  failedCode?: number;
  /** When the customer's answer to it is sent (the emulator's clock). */
  repliedAt?: number;
}

export interface WhatsAppCloudEmulator {
  /** The Graph API base, like `https://graph.facebook.com`: `${url}/v23.0/${phoneNumberId}/messages`. */
  url: string;
  accessToken: string;
  phoneNumberId: string;
  businessAccountId: string;
  appSecret: string;
  /** Where Meta posts notifications (the app's callback URL). Until set, notifications go nowhere. */
  useWebhooks(webhooks: { url: string }): void;
  /** Every template message accepted, in order. */
  sentMessages(): SentTemplateMessage[];
  /** Every message accepted (templates, texts, interactive), in order, with what became of it. */
  messageOutcomes(): MessageOutcome[];
  /** Every send refused, in order. */
  refusals(): SendRefusal[];
  /** The most messages accepted within any rolling `windowMs`. */
  maxAcceptedInAnyWindow(windowMs: number): number;
  /** Templates created through the API and not deleted, with their review state. */
  createdTemplates(): CreatedTemplate[];
  /** Moves the emulator's clock on: whatever falls due meanwhile (reviews, statuses, answers) goes out at once. */
  advanceClock(ms: number): void;
  /** While on, template status notifications are lost (the app must poll the template's status). */
  dropTemplateWebhooks(on: boolean): void;
  /** The customer writes to the business: their service window opens for 24 h and the message is posted to the app. */
  customerWrites(e164: string, text: string): void;
  /** Resolves when no notification is waiting to be sent or being sent. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_ACCESS_TOKEN = 'EAAGemulatedWhatsAppCloudAccessToken0ZD';
const DEFAULT_PHONE_NUMBER_ID = '106540352242922';
const DEFAULT_BUSINESS_ACCOUNT_ID = '102290129340398';
const DEFAULT_APP_SECRET = 'emulated-whatsapp-app-secret';
const DISPLAY_PHONE_NUMBER = '15550783881';
const DEFAULT_PAIR_INTERVAL_MS = 6000;
const DEFAULT_MESSAGING_LIMIT = 250;
const DAY_MS = 24 * 3_600_000;
const DEFAULT_MIN_DELAY_MS = 10;
const DEFAULT_MAX_DELAY_MS = 100;
/** Share of messages read at once, whose `delivered` Meta never sends. */
const SKIPPED_DELIVERED_RATE = 0.2;
/** Share of messages whose last two statuses arrive in the wrong order. */
const OUT_OF_ORDER_RATE = 0.2;
/** Statuses due this close together go out in one notification. */
const BATCH_WINDOW_MS = 25;
const STATUSES_PER_NOTIFICATION = 50;
/** Meta retries for days; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
const DELIVERY_TIMEOUT_MS = 10_000;
const CALLBACK_DATA_LIMIT = 512;
const MESSAGES_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;
const TEMPLATES_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/message_templates$/;
/** What Meta accepts in `to`: digits with an optional +, spaces, dashes and brackets, as its examples show. */
const PHONE_NUMBER = /^\+?[\d\s().-]+$/;
const ERROR_HREF = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

/** A customer's message to the business; `reply` when they tapped a button or picked a row. */
interface InboundMessage {
  from: string;
  text: string;
  context?: string;
  reply?: { type: 'button_reply' | 'list_reply' | 'button'; id: string; title: string };
}

/** Something waiting for its time on the emulator's clock: statuses, a customer's message, a template review. */
interface Outgoing {
  dueAt: number;
  status?: Record<string, unknown>;
  message?: InboundMessage;
  run?: () => void;
}

/** A message that passed the checks of its kind, ready to be counted against the limits. */
interface Accepted {
  to: string;
  digits: string;
  content: MessageContent;
  callbackData?: string;
  /** The template's pricing category, or `service` for a free-form message. */
  category: string;
  /** The quick-reply buttons a template message shows. */
  quickReplies: string[];
}

/**
 * Meta's Cloud API, as strict as Meta: `/messages` for templates, text and interactive messages (Bearer token, the
 * number's id, the body, approved templates and their parameters, throughput, the pair rate limit, the messaging
 * limit, the 24-hour customer service window) and `/message_templates` of the WABA (creation checks, review,
 * status notifications, limits). Every well-formed message is accepted; what happened to it arrives later as signed
 * status notifications, unkind as Meta's: `delivered` sometimes skipped, statuses out of order, batched or sent twice,
 * 131026 for numbers without WhatsApp, 131047 for a free-form message outside the window. Customers who answer
 * (EmulatedCustomers) write back after reading, tapping the button whose title they answer.
 */
export async function startWhatsAppCloudEmulator(options: WhatsAppCloudEmulatorOptions): Promise<WhatsAppCloudEmulator> {
  const accessToken = options.accessToken ?? DEFAULT_ACCESS_TOKEN;
  const phoneNumberId = options.phoneNumberId ?? DEFAULT_PHONE_NUMBER_ID;
  const businessAccountId = options.businessAccountId ?? DEFAULT_BUSINESS_ACCOUNT_ID;
  const appSecret = options.appSecret ?? DEFAULT_APP_SECRET;
  const throughput = options.throughput ?? WHATSAPP_THROUGHPUT;
  const pairIntervalMs = options.pairIntervalMs ?? DEFAULT_PAIR_INTERVAL_MS;
  const messagingLimit = options.messagingLimit ?? DEFAULT_MESSAGING_LIMIT;
  const minDelayMs = options.statuses?.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
  const maxDelayMs = Math.max(minDelayMs, options.statuses?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  const duplicateRate = options.statuses?.duplicateRate ?? 0;
  const readRate = options.statuses?.readRate ?? 1;
  const random = seededRandom(options.statuses?.seed ?? 1);
  const step = (): number => minDelayMs + random() * (maxDelayMs - minDelayMs);
  const baseClock = options.now ?? Date.now;
  let clockOffset = 0;
  const clock = (): number => baseClock() + clockOffset;

  const sent: SentTemplateMessage[] = [];
  const outcomes: MessageOutcome[] = [];
  const acceptedTimes: number[] = [];
  const refused: SendRefusal[] = [];
  const recentArrivals: number[] = [];
  /** Customers reached outside a service window in the last 24 hours and when last, oldest first. */
  const reachedOutsideWindow = new Map<string, number>();
  const lastSentTo = new Map<string, number>();
  /** When each customer last wrote to the business. */
  const lastCustomerMessage = new Map<string, number>();
  /** The interactive message each customer got last: their answer picks from it. */
  const lastInteractive = new Map<string, { wamid: string; interactive: InteractiveMessage }>();
  let webhookUrl: string | undefined;
  let droppingTemplateWebhooks = false;
  const outbox: Outgoing[] = [];
  let timer: NodeJS.Timeout | undefined;
  let posting = 0;
  let waiters: (() => void)[] = [];
  let closed = false;
  const webhooks = emulatorWebhookSender({ timeoutMs: DELIVERY_TIMEOUT_MS });

  const templates = createEmulatedTemplates({
    clock,
    businessAccountId,
    review: options.templateReview,
    creationsPerHour: options.templateCreationsPerHour ?? TEMPLATE_CREATIONS_PER_HOUR,
    templateLimit: options.templateLimit ?? TEMPLATES_PER_WABA,
    schedule: (dueAt, run) => schedule({ dueAt, run }),
    notify: (change) => {
      if (!droppingTemplateWebhooks) postTemplateStatus(change);
    },
  });

  const inWindow = (digits: string, at: number): boolean => {
    const last = lastCustomerMessage.get(digits);
    return last !== undefined && at - last < DAY_MS;
  };

  /** The template `name` in `language` that can be sent, with the parameters it takes and its pricing category. */
  function sendableTemplate(name: string, language: string): { shape: TemplateSendShape; category: string; quickReplies: string[] } | Answer {
    const created = templates.find(name, language);
    if (created?.status === 'APPROVED') {
      const buttons = created.definition.components.flatMap((component) => (component.type === 'BUTTONS' ? component.buttons : []));
      return {
        shape: sendShapeOf(created.definition),
        category: created.definition.category.toLowerCase(),
        quickReplies: buttons.flatMap((button) => (button.type === 'QUICK_REPLY' ? [button.text] : [])),
      };
    }
    const approved = options.templates?.find((template) => template.name === name && template.language === language);
    if (approved !== undefined) {
      const body = Array.from({ length: approved.bodyParameters ?? 0 }, (_, index) => String(index + 1));
      return { shape: { header: 'none', headerVariables: [], body, named: false, urlButtons: [] }, category: 'utility', quickReplies: [] };
    }
    return graphError(404, 132001, '(#132001) Template name does not exist in the translation', {
      details: `template name (${name}) does not exist in ${language}`,
    });
  }

  /** The checks Meta makes on the body, in its words; the message when all pass. */
  function validate(body: Record<string, unknown>): Answer | Accepted {
    if (body.messaging_product === undefined) return graphError(400, 100, '(#100) The parameter messaging_product is required.');
    if (body.messaging_product !== 'whatsapp') return graphError(400, 100, '(#100) Param messaging_product must be one of {WHATSAPP}');
    if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
      return invalidParameter('recipient_type: only individual is supported for messages to customers');
    }
    if (body.to === undefined) return missingParameter('to');
    if (typeof body.to !== 'string' || !PHONE_NUMBER.test(body.to)) return invalidParameter('to: not a phone number');
    const digits = body.to.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) return invalidParameter('to: not a phone number');
    const content = messageContent(body);
    if ('status' in content) return content;
    const callbackData = body.biz_opaque_callback_data;
    if (callbackData !== undefined && (typeof callbackData !== 'string' || callbackData.length > CALLBACK_DATA_LIMIT)) {
      return invalidParameter(`biz_opaque_callback_data: a string of at most ${CALLBACK_DATA_LIMIT} characters`);
    }
    const accepted = { to: body.to, digits, content, ...(callbackData === undefined ? {} : { callbackData }) };
    if (content.kind !== 'template') return { ...accepted, category: 'service', quickReplies: [] };
    // A malformed components list is refused before the template is looked up, as Meta does.
    const given = templateParameters(content.components);
    if ('status' in given) return given;
    const template = sendableTemplate(content.name, content.language);
    if ('status' in template) return template;
    const problem = parametersMismatch(given, template.shape);
    if (problem !== undefined) return problem;
    return { ...accepted, category: template.category, quickReplies: template.quickReplies };
  }

  /** Counts a message against the number's throughput and says whether there was room for it. */
  function withinThroughput(at: number): boolean {
    while (recentArrivals.length > 0 && recentArrivals[0]! <= at - throughput.intervalMs) recentArrivals.shift();
    recentArrivals.push(at);
    return recentArrivals.length <= throughput.requests;
  }

  function send(req: IncomingMessage, phoneNumber: string, rawBody: string, at: number): Answer {
    const unauthorized = authorizationProblem(req.headers.authorization, accessToken);
    if (unauthorized !== undefined) return unauthorized;
    if (decodeURIComponent(phoneNumber) !== phoneNumberId) return unknownObject('POST', phoneNumber);
    const parsed = jsonObjectIn(rawBody);
    if (!('json' in parsed)) return parsed;
    const valid = validate(parsed.json);
    if ('status' in valid) return valid;

    if (!withinThroughput(at)) {
      return graphError(429, 130429, '(#130429) Rate limit hit', { details: 'Cloud API message throughput has been reached.' });
    }
    for (const [customer, last] of reachedOutsideWindow) {
      if (last > at - DAY_MS) break;
      reachedOutsideWindow.delete(customer);
    }
    const open = inWindow(valid.digits, at);
    // Only templates start conversations outside a window; free-form messages there fail later with 131047.
    const counts = valid.content.kind === 'template' && !open;
    // Meta names the messaging limit with its spam rate limit code and words.
    if (counts && !reachedOutsideWindow.has(valid.digits) && reachedOutsideWindow.size >= messagingLimit) {
      return graphError(400, 131048, '(#131048) Spam rate limit hit', {
        details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
      });
    }
    const last = lastSentTo.get(valid.digits);
    if (last !== undefined && at - last < pairIntervalMs) {
      return graphError(400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit', {
        details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      });
    }
    lastSentTo.set(valid.digits, at);
    if (counts) {
      reachedOutsideWindow.delete(valid.digits);
      reachedOutsideWindow.set(valid.digits, at);
    }

    const wamid = newWamid();
    acceptedTimes.push(at);
    if (valid.content.kind === 'template') {
      sent.push({
        wamid,
        to: valid.to,
        template: { name: valid.content.name, language: valid.content.language },
        at,
        ...(valid.callbackData === undefined ? {} : { callbackData: valid.callbackData }),
      });
    }
    playOut(wamid, valid, at, open);
    return {
      status: 200,
      body: { messaging_product: 'whatsapp', contacts: [{ input: valid.to, wa_id: valid.digits }], messages: [{ id: wamid, message_status: 'accepted' }] },
    };
  }

  /** Schedules what becomes of an accepted message: its statuses, and the customer's answer if they give one. */
  function playOut(wamid: string, message: Accepted, acceptedAt: number, windowOpen: boolean): void {
    const { digits, content, callbackData } = message;
    const common = { id: wamid, recipient_id: digits, ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }) };
    const outcome: MessageOutcome = { wamid, to: message.to, kind: content.kind, delivered: false, read: false };
    outcomes.push(outcome);
    const e164 = `+${digits}`;
    const fail = (code: number, title: string, details: string) => {
      const failedAt = acceptedAt + step();
      outcome.failedCode = code;
      const error = { code, title, message: title, error_data: { details }, href: ERROR_HREF };
      scheduleStatus(failedAt, { ...common, status: 'failed', timestamp: epochSeconds(failedAt), errors: [error] });
    };
    if (!options.customers.onWhatsApp(e164)) return fail(131026, 'Message undeliverable', 'Message Undeliverable.');
    if (content.kind !== 'template' && !windowOpen) {
      return fail(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.');
    }
    if (content.kind === 'interactive') lastInteractive.set(digits, { wamid, interactive: content.interactive });
    const answer = options.customers.receive(whatsAppAddress(e164));
    const read = answer !== undefined || readRate >= 1 || random() < readRate;
    const pricing = { billable: message.category !== 'service', pricing_model: 'PMP', category: message.category, type: message.category === 'service' ? 'free_customer_service' : 'regular' };
    const sentAt = acceptedAt + step();
    const deliveredAt = sentAt + step();
    const readAt = deliveredAt + step();
    const steps = [
      { at: sentAt, status: { ...common, status: 'sent', timestamp: epochSeconds(sentAt), pricing } },
      ...(read && random() < SKIPPED_DELIVERED_RATE ? [] : [{ at: deliveredAt, status: { ...common, status: 'delivered', timestamp: epochSeconds(deliveredAt), pricing } }]),
      ...(read ? [{ at: readAt, status: { ...common, status: 'read', timestamp: epochSeconds(readAt) } }] : []),
    ];
    const postTimes = steps.map((s) => s.at);
    if (random() < OUT_OF_ORDER_RATE) postTimes.push(...postTimes.splice(-2).reverse());
    steps.forEach((s, index) => scheduleStatus(postTimes[index]!, s.status));
    outcome.delivered = true;
    outcome.read = read;

    if (answer === undefined) return;
    outcome.repliedAt = readAt + answer.delayMs;
    schedule({ dueAt: outcome.repliedAt, message: answerTo(wamid, digits, answer.text, message) });
  }

  /** A customer's answer to our message: a tap on the button (or row) whose title they answer, else typed text. */
  function answerTo(wamid: string, from: string, answer: string, message: Accepted): InboundMessage {
    const same = (title: string) => title.trim().toLowerCase() === answer.trim().toLowerCase();
    if (message.content.kind === 'interactive') {
      const { interactive } = message.content;
      const choices =
        interactive.type === 'button'
          ? interactive.action.buttons.map((button) => ({ type: 'button_reply' as const, id: button.reply.id, title: button.reply.title }))
          : interactive.action.sections.flatMap((section) => section.rows.map((row) => ({ type: 'list_reply' as const, id: row.id, title: row.title })));
      const choice = choices.find((candidate) => same(candidate.title));
      if (choice !== undefined) return { from, text: choice.title, context: wamid, reply: choice };
    }
    const quickReply = message.quickReplies.find(same);
    if (quickReply !== undefined) return { from, text: quickReply, context: wamid, reply: { type: 'button', id: quickReply, title: quickReply } };
    return { from, text: answer };
  }

  function scheduleStatus(dueAt: number, status: Record<string, unknown>): void {
    schedule({ dueAt, status });
    if (random() < duplicateRate) schedule({ dueAt: dueAt + step(), status });
  }

  function schedule(outgoing: Outgoing): void {
    if (closed) return;
    outbox.push(outgoing);
    arm();
  }

  function arm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (outbox.length === 0) return checkSettled();
    const next = outbox.reduce((soonest, outgoing) => Math.min(soonest, outgoing.dueAt), Number.POSITIVE_INFINITY);
    timer = setTimeout(flush, Math.max(0, next - clock()));
  }

  /** Runs and sends what is due, statuses due together in one notification as Meta batches them. */
  function flush(): void {
    timer = undefined;
    const horizon = clock() + BATCH_WINDOW_MS;
    const due = outbox.filter((outgoing) => outgoing.dueAt <= horizon).sort((a, b) => a.dueAt - b.dueAt);
    const later = outbox.filter((outgoing) => outgoing.dueAt > horizon);
    outbox.splice(0, outbox.length, ...later);
    for (const { run } of due) run?.();
    const statuses = due.flatMap((outgoing) => (outgoing.status === undefined ? [] : [outgoing.status]));
    for (let start = 0; start < statuses.length; start += STATUSES_PER_NOTIFICATION) {
      postMessagesField({ statuses: statuses.slice(start, start + STATUSES_PER_NOTIFICATION) });
    }
    for (const { message, dueAt } of due) {
      if (message === undefined) continue;
      lastCustomerMessage.set(message.from, Math.max(lastCustomerMessage.get(message.from) ?? 0, dueAt));
      postMessagesField({ contacts: [{ profile: { name: 'WhatsApp customer' }, wa_id: message.from }], messages: [inboundMessage(message, dueAt)] });
    }
    arm();
  }

  function inboundMessage(message: InboundMessage, at: number): Record<string, unknown> {
    const common = {
      from: message.from,
      id: newWamid(),
      timestamp: epochSeconds(at),
      ...(message.context === undefined ? {} : { context: { from: DISPLAY_PHONE_NUMBER, id: message.context } }),
    };
    const { reply } = message;
    if (reply === undefined) return { ...common, type: 'text', text: { body: message.text } };
    if (reply.type === 'button') return { ...common, type: 'button', button: { payload: reply.id, text: reply.title } };
    return { ...common, type: 'interactive', interactive: { type: reply.type, [reply.type]: { id: reply.id, title: reply.title } } };
  }

  function postMessagesField(value: Record<string, unknown>): void {
    post({
      id: businessAccountId,
      changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: phoneNumberId }, ...value }, field: 'messages' }],
    });
  }

  function postTemplateStatus(change: TemplateStatusChange): void {
    post({ id: businessAccountId, time: Math.floor(clock() / 1000), changes: [{ value: change, field: 'message_template_status_update' }] });
  }

  /** Posts one notification in the background; nowhere when no callback URL is set, as when no app subscribes. */
  function post(entry: Record<string, unknown>): void {
    if (webhookUrl === undefined) return;
    const body = metaJson({ object: 'whatsapp_business_account', entry: [entry] });
    posting++;
    void deliver(webhookUrl, body).finally(() => {
      posting--;
      checkSettled();
    });
  }

  /** Tries until answered 200, the tries run out or the emulator closes. */
  async function deliver(url: string, body: string): Promise<void> {
    const signature = signWhatsAppBody(body, appSecret);
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS && !closed; attempt++) {
      if ((await webhooks.post(url, { headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body })) === 200) return;
      if (attempt < DELIVERY_ATTEMPTS) await sleep(RETRY_PAUSE_MS);
    }
  }

  function checkSettled(): void {
    if (outbox.length > 0 || posting > 0) return;
    const waiting = waiters;
    waiters = [];
    for (const resolve of waiting) resolve();
  }

  function manageTemplates(req: IncomingMessage, url: URL, account: string, rawBody: string): Answer {
    const unauthorized = authorizationProblem(req.headers.authorization, accessToken);
    if (unauthorized !== undefined) return unauthorized;
    if (decodeURIComponent(account) !== businessAccountId) return unknownObject(req.method ?? 'GET', account);
    return templates.handle(req.method ?? 'GET', url, rawBody);
  }

  function respond(res: ServerResponse, answer: Answer, refusal: { at: number } | undefined): void {
    if (answer.status !== 200 && refusal !== undefined) refused.push({ at: refusal.at, status: answer.status, code: (answer.body.error as { code: number }).code });
    const headers: Record<string, string> = { 'content-type': 'application/json', ...answer.headers };
    if (answer.status === 401) headers['www-authenticate'] = 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"';
    res.writeHead(answer.status, headers).end(JSON.stringify(answer.body));
  }

  let baseUrl = '';
  const server = createServer((req, res) => {
    text(req).then(
      (rawBody) => {
        const at = clock();
        const url = new URL(req.url ?? '/', baseUrl);
        const messages = MESSAGES_PATH.exec(url.pathname);
        if (messages !== null && req.method === 'POST') return respond(res, send(req, messages[2]!, rawBody, at), { at });
        const templatesPath = TEMPLATES_PATH.exec(url.pathname);
        if (templatesPath !== null) return respond(res, manageTemplates(req, url, templatesPath[2]!, rawBody), undefined);
        respond(res, graphError(400, 2500, `Unknown path components: ${url.pathname}`), { at });
      },
      // The client went away while sending its body: there is no one left to answer.
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);
  baseUrl = loopback.url;

  const settled = (): Promise<void> =>
    new Promise((resolve) => {
      waiters.push(resolve);
      checkSettled();
    });

  return {
    url: loopback.url,
    accessToken,
    phoneNumberId,
    businessAccountId,
    appSecret,
    useWebhooks(webhooks) {
      webhookUrl = webhooks.url;
    },
    sentMessages: () => sent.map((message) => ({ ...message, template: { ...message.template } })),
    messageOutcomes: () => outcomes.map((outcome) => ({ ...outcome })),
    refusals: () => refused.map((refusal) => ({ ...refusal })),
    maxAcceptedInAnyWindow: (windowMs) => busiestWindow([...acceptedTimes].sort((a, b) => a - b), windowMs),
    createdTemplates: () => templates.all(),
    advanceClock(ms) {
      if (!(ms >= 0)) throw new Error(`advanceClock takes a duration of 0 ms or more, got ${ms}`);
      clockOffset += ms;
      arm();
    },
    dropTemplateWebhooks(on) {
      droppingTemplateWebhooks = on;
    },
    customerWrites(e164, message) {
      const from = e164.replace(/\D/g, '');
      const at = clock();
      lastCustomerMessage.set(from, at);
      schedule({ dueAt: at, message: { from, text: message } });
    },
    settled,
    async close() {
      closed = true;
      webhooks.close();
      if (timer !== undefined) clearTimeout(timer);
      outbox.length = 0;
      await settled();
      await loopback.close();
    },
  };
}
