import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';
import { describeGraphError, graphErrorIn } from './graph-error.ts';
import type { MessageTemplateDefinition, TemplateCategoryName, TemplateStatus } from './message-template.ts';

export interface WhatsAppTemplatesSettings {
  /** `https://graph.facebook.com`, or an emulator's URL. */
  baseUrl: string;
  /** Graph API version. Default `v23.0`. */
  apiVersion?: string;
  /** The WhatsApp Business Account (WABA) that owns the templates. */
  businessAccountId: string;
  accessToken: string;
  /** How long one request may take. Default 30 s. */
  timeoutMs?: number;
}

export interface SubmittedTemplate {
  id: string;
  status: TemplateStatus;
  category: TemplateCategoryName;
}

export interface FoundTemplate {
  id: string;
  name: string;
  language: string;
  status: TemplateStatus;
  category: TemplateCategoryName;
  /** Meta's reason when REJECTED (`INVALID_FORMAT`, `PROMOTIONAL`, ...). */
  rejectedReason?: string;
}

export interface WhatsAppTemplatesClient {
  /** Submits a template for review; resolves with its id and status (PENDING) once Meta took it. */
  createTemplate(definition: MessageTemplateDefinition): Promise<SubmittedTemplate>;
  /** The template of this exact name and language, or undefined when the WABA has none. */
  findTemplate(name: string, language: string): Promise<FoundTemplate | undefined>;
  /** Deletes every language of `name`, or only the one with template id `id`. */
  deleteTemplate(name: string, id?: string): Promise<void>;
}

/** Failure types a caller tells apart (besides WhatsAppUnavailable, WhatsAppUnanswered and WhatsAppRejected). */
export const TEMPLATE_REFUSED = 'WhatsAppTemplateRefused';
/** The name and language exist already: a resubmission finds the existing template with findTemplate. */
export const TEMPLATE_EXISTS = 'WhatsAppTemplateExists';

const DEFAULT_API_VERSION = 'v23.0';
const DEFAULT_TIMEOUT_MS = 30_000;
const PAGE_SIZE = 100;
const DUPLICATE_SUBCODE = 2388024;
const FIELDS = 'id,name,language,status,category,rejected_reason';
/**
 * Graph's throttles and the wait that surely helps when Meta names none. The creation limit (100 per WABA per
 * hour) answers 80008; its usage header usually says when access comes back.
 */
const PASSING_LIMITS: ReadonlyMap<number, number> = new Map([
  [4, 60_000],
  [17, 60_000],
  [613, 60_000],
  [80007, 60_000],
  [80008, 15 * 60_000],
]);
const THROTTLE_DELAY_MS = 60_000;
/** Meta's refusals of a template's content: invalid parameter (with its 2388xxx subcodes) and the 2388xxx codes themselves. */
const isContentRefusal = (code: number): boolean => code === 100 || code === 192 || (code >= 2388000 && code < 2389000);

interface Page {
  data?: { id?: unknown; name?: unknown; language?: unknown; status?: unknown; category?: unknown; rejected_reason?: unknown }[];
  paging?: { next?: unknown; cursors?: { after?: unknown } };
}

/**
 * Manages the WABA's message templates through Meta's Business Management API, one request per call and never
 * retried here: throttles (the hourly creation limit included), 429 and 5xx come out retryable with the wait that
 * helps; Meta's refusal of a template is final and carries Meta's words for a person; a name and language that
 * exist already are their own failure, so a resubmission after an unanswered create can find the template.
 */
export function createWhatsAppTemplatesClient(settings: WhatsAppTemplatesSettings): WhatsAppTemplatesClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/${settings.apiVersion ?? DEFAULT_API_VERSION}/${encodeURIComponent(settings.businessAccountId)}/message_templates`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(method: string, url: string, body?: unknown): Promise<unknown> {
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${settings.accessToken}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      const reason = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `the connection failed (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`;
      throw unansweredSend('WhatsApp', `${method} message_templates: ${reason}`);
    }
    if (response.status < 200 || response.status >= 300) throw failureOf(response, text);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw ApplicationFailure.create({ type: 'WhatsAppAnswerUnreadable', message: `WhatsApp answered ${method} message_templates with a body that is not JSON`, nonRetryable: false });
    }
  }

  return {
    async createTemplate(definition) {
      const answer = (await call('POST', endpoint, definition)) as { id?: unknown; status?: unknown; category?: unknown };
      if (typeof answer.id !== 'string' || typeof answer.status !== 'string') {
        // Meta may hold the template: a retry answers "exists" and the caller finds it.
        throw ApplicationFailure.create({ type: 'WhatsAppAnswerUnreadable', message: 'WhatsApp took the template without naming its id and status', nonRetryable: false });
      }
      return { id: answer.id, status: answer.status as TemplateStatus, category: (typeof answer.category === 'string' ? answer.category : definition.category) as TemplateCategoryName };
    },

    async findTemplate(name, language) {
      const query = new URLSearchParams({ name, fields: FIELDS, limit: String(PAGE_SIZE) });
      let url: string | undefined = `${endpoint}?${query}`;
      const seen = new Set<string>();
      // Meta's name filter also matches other names containing this one: every page is looked through.
      while (url !== undefined && !seen.has(url)) {
        seen.add(url);
        const page = (await call('GET', url)) as Page;
        const found = (page.data ?? []).find((template) => template.name === name && template.language === language);
        if (found !== undefined) return foundTemplate(found);
        url = typeof page.paging?.next === 'string' ? page.paging.next : undefined;
      }
      return undefined;
    },

    async deleteTemplate(name, id) {
      const query = new URLSearchParams({ name, ...(id === undefined ? {} : { hsm_id: id }) });
      await call('DELETE', `${endpoint}?${query}`);
    },
  };
}

function foundTemplate(template: NonNullable<Page['data']>[number]): FoundTemplate {
  const { id, name, language, status, category, rejected_reason: reason } = template;
  if (typeof id !== 'string' || typeof status !== 'string' || typeof category !== 'string') {
    throw ApplicationFailure.create({ type: 'WhatsAppAnswerUnreadable', message: 'WhatsApp listed a template without its id, status or category', nonRetryable: false });
  }
  return {
    id,
    name: name as string,
    language: language as string,
    status: status as TemplateStatus,
    category: category as TemplateCategoryName,
    ...(status === 'REJECTED' && typeof reason === 'string' ? { rejectedReason: reason } : {}),
  };
}

function failureOf(response: Response, body: string): ApplicationFailure {
  const status = response.status;
  const error = graphErrorIn(body);
  const waitHeader = retryAfterMs(response.headers.get('retry-after')) ?? regainAccessMs(response.headers.get('x-business-use-case-usage'));
  if (error === undefined || typeof error.code !== 'number') {
    return vendorFailure('WhatsApp', status, body, waitHeader ?? (status === 429 ? THROTTLE_DELAY_MS : undefined));
  }
  const code = error.code;
  const message = describeGraphError(status, { ...error, code });
  const details = [{ code, ...(typeof error.error_subcode === 'number' ? { subcode: error.error_subcode } : {}) }];
  const passingWait = PASSING_LIMITS.get(code);
  if (passingWait !== undefined || error.is_transient === true || status === 429 || status >= 500) {
    return ApplicationFailure.create({
      type: 'WhatsAppUnavailable',
      message,
      nonRetryable: false,
      nextRetryDelay: waitHeader ?? passingWait ?? THROTTLE_DELAY_MS,
      details,
    });
  }
  if (code === 100 && error.error_subcode === DUPLICATE_SUBCODE) return ApplicationFailure.create({ type: TEMPLATE_EXISTS, message, nonRetryable: true, details });
  // Subcode 33: the WABA id is not one this token reaches, which no change to the template fixes.
  if (isContentRefusal(code) && error.error_subcode !== 33) return ApplicationFailure.create({ type: TEMPLATE_REFUSED, message, nonRetryable: true, details });
  return ApplicationFailure.create({ type: 'WhatsAppRejected', message, nonRetryable: true, details });
}

/** `X-Business-Use-Case-Usage`: the longest `estimated_time_to_regain_access` (minutes) of any throttled use case. */
function regainAccessMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  try {
    const usage = JSON.parse(header) as Record<string, { estimated_time_to_regain_access?: unknown }[]>;
    const minutes = Object.values(usage)
      .flat()
      .map((entry) => entry.estimated_time_to_regain_access)
      .filter((value): value is number => typeof value === 'number' && value > 0);
    return minutes.length === 0 ? undefined : Math.max(...minutes) * 60_000;
  } catch {
    return undefined;
  }
}
