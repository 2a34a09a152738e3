import { graphError, jsonObjectIn, type Answer } from './emulator-answers.ts';
import type { MessageTemplateDefinition, TemplateStatus } from './message-template.ts';
import { templateCreationRefusal } from './template-creation-rules.ts';

/** How Meta's review of a created template goes: when it decides, and what. */
export interface TemplateReview {
  /** From creation to decision, on the emulator's clock. Default 1,000 ms. */
  delayMs?: number;
  /** Default: every template approved. */
  decide?: (definition: MessageTemplateDefinition) => { status: 'APPROVED' } | { status: 'REJECTED'; reason: string };
}

/** A template created through the API, as the emulator holds it. */
export interface CreatedTemplate {
  id: string;
  definition: MessageTemplateDefinition;
  status: TemplateStatus;
  /** Meta's `rejected_reason`: `NONE` unless rejected. */
  rejectedReason: string;
  createdAt: number;
}

/** A `message_template_status_update` change, as Meta writes its value. */
export interface TemplateStatusChange {
  event: TemplateStatus;
  message_template_id: number;
  message_template_name: string;
  message_template_language: string;
  reason: string;
}

export interface EmulatedTemplatesSettings {
  clock: () => number;
  businessAccountId: string;
  review?: TemplateReview;
  /** Creations Meta takes per WABA in a moving hour. */
  creationsPerHour: number;
  /** Template names a WABA may hold (translations of one name count once). */
  templateLimit: number;
  /** Runs `run` once the emulator's clock reaches `dueAt`. */
  schedule(dueAt: number, run: () => void): void;
  /** Tells the app about a decision (the emulator may drop it). */
  notify(change: TemplateStatusChange): void;
}

export interface EmulatedTemplates {
  /** `/{version}/{waba-id}/message_templates` once the token and the WABA id were checked. */
  handle(method: string, url: URL, rawBody: string): Answer;
  find(name: string, language: string): CreatedTemplate | undefined;
  all(): CreatedTemplate[];
}

export const DEFAULT_REVIEW_DELAY_MS = 1000;
export const TEMPLATE_CREATIONS_PER_HOUR = 100;
export const TEMPLATES_PER_WABA = 250;
const HOUR_MS = 3_600_000;
/** After an approved template is deleted its name stays taken this long. */
const DELETED_NAME_BLOCK_MS = 30 * 24 * HOUR_MS;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;
/** Meta's template ids are 15 to 16 digits; these stay below 2^53 so the webhook's number is exact. */
const FIRST_TEMPLATE_ID = 1_400_000_000_000_000;
const LIST_FIELDS = ['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components', 'rejected_reason'];

const cursorOf = (index: number): string => Buffer.from(`idx:${index}`).toString('base64url');
const indexOf = (cursor: string | null): number | undefined => {
  const match = cursor === null ? null : /^idx:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match === null ? undefined : Number(match[1]);
};

/**
 * The message templates of one emulated WABA: creation with every check Meta makes, review on the emulator's clock
 * with a status notification per decision, listing by name with paging cursors, deletion by name or id, and the
 * limits (creations per hour, templates per WABA, a deleted approved name blocked for 30 days).
 */
export function createEmulatedTemplates(settings: EmulatedTemplatesSettings): EmulatedTemplates {
  const templates: CreatedTemplate[] = [];
  const creations: number[] = [];
  const blockedNames = new Map<string, number>();
  let sequence = 0;

  function create(rawBody: string): Answer {
    const now = settings.clock();
    while (creations.length > 0 && creations[0]! <= now - HOUR_MS) creations.shift();
    if (creations.length >= settings.creationsPerHour) {
      const minutes = Math.max(1, Math.ceil((creations[0]! + HOUR_MS - now) / 60_000));
      const usage = { [settings.businessAccountId]: [{ type: 'whatsapp_business_management', call_count: 100, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: minutes }] };
      return {
        ...graphError(400, 80008, '(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.', {
          isTransient: true,
          userTitle: 'Template creation limit reached',
          userMessage: `A WhatsApp Business account can create ${settings.creationsPerHour} message templates per hour.`,
        }),
        headers: { 'x-business-use-case-usage': JSON.stringify(usage) },
      };
    }
    const parsed = jsonObjectIn(rawBody);
    if (!('json' in parsed)) return parsed;
    const refusal = templateCreationRefusal(parsed.json);
    if (refusal !== undefined) {
      return graphError(400, 100, refusal.message, { subcode: refusal.subcode, userTitle: refusal.title, userMessage: refusal.userMessage, isTransient: false });
    }
    const definition = structuredClone(parsed.json) as unknown as MessageTemplateDefinition;
    const { name, language } = definition;
    if (find(name, language) !== undefined) {
      return graphError(400, 100, 'Invalid parameter', {
        subcode: 2388024,
        isTransient: false,
        userTitle: 'Content in This Language Already Exists',
        userMessage: `There is already ${language} content for this template. You can create a new template and try again.`,
      });
    }
    if ((blockedNames.get(name) ?? 0) > now) {
      return graphError(400, 100, 'Invalid parameter', {
        subcode: 2388023,
        isTransient: false,
        userTitle: 'Message Template Language Is Being Deleted',
        userMessage: `${language} is being deleted. Content can't be added while the existing content is being deleted. Try again in 4 weeks or create a new message template.`,
      });
    }
    const names = new Set(templates.map((template) => template.definition.name));
    if (!names.has(name) && names.size >= settings.templateLimit) {
      return graphError(400, 100, 'Invalid parameter', {
        subcode: 2388019,
        isTransient: false,
        userTitle: 'Message Template Limit Exceeded',
        userMessage: `This WhatsApp Business account has ${settings.templateLimit} message templates, the most it can hold. Delete some to create new ones.`,
      });
    }
    creations.push(now);
    sequence++;
    const template: CreatedTemplate = { id: String(FIRST_TEMPLATE_ID + sequence * 104_729), definition, status: 'PENDING', rejectedReason: 'NONE', createdAt: now };
    templates.push(template);
    settings.schedule(now + (settings.review?.delayMs ?? DEFAULT_REVIEW_DELAY_MS), () => decide(template));
    return { status: 200, body: { id: template.id, status: 'PENDING', category: definition.category } };
  }

  function decide(template: CreatedTemplate): void {
    if (template.status !== 'PENDING') return;
    const decision = settings.review?.decide?.(structuredClone(template.definition)) ?? { status: 'APPROVED' as const };
    template.status = decision.status;
    template.rejectedReason = decision.status === 'REJECTED' ? decision.reason : 'NONE';
    settings.notify({
      event: decision.status,
      message_template_id: Number(template.id),
      message_template_name: template.definition.name,
      message_template_language: template.definition.language,
      reason: template.rejectedReason,
    });
  }

  function list(url: URL): Answer {
    const query = url.searchParams;
    const limit = query.get('limit') === null ? DEFAULT_PAGE_SIZE : Number(query.get('limit'));
    if (!Number.isInteger(limit) || limit < 1) return graphError(400, 100, '(#100) Param limit must be a positive integer');
    const pageSize = Math.min(limit, MAX_PAGE_SIZE);
    const fields = (query.get('fields') ?? LIST_FIELDS.filter((field) => field !== 'rejected_reason' && field !== 'parameter_format').join(',')).split(',');
    const unknownField = fields.find((field) => !LIST_FIELDS.includes(field));
    if (unknownField !== undefined) return graphError(400, 100, `(#100) Tried accessing nonexisting field (${unknownField}) on node type (WhatsAppBusinessAccountMessageTemplate)`);
    // Meta's name filter matches parts of names: the caller picks its own template out of the page.
    const name = query.get('name');
    const status = query.get('status');
    const matching = templates.filter((template) => (name === null || template.definition.name.includes(name)) && (status === null || template.status === status));
    const after = query.get('after');
    const start = after === null ? 0 : indexOf(after);
    if (start === undefined) return graphError(400, 100, '(#100) Invalid cursor');
    const page = matching.slice(start, start + pageSize);
    const data = page.map((template) => Object.fromEntries(['id', ...fields].map((field) => [field, fieldOf(template, field)])));
    const more = start + pageSize < matching.length;
    const next = new URL(url);
    next.searchParams.set('after', cursorOf(start + page.length));
    return {
      status: 200,
      body: {
        data,
        ...(page.length === 0 ? {} : { paging: { cursors: { before: cursorOf(start), after: cursorOf(start + page.length) }, ...(more ? { next: next.href } : {}) } }),
      },
    };
  }

  function remove(url: URL): Answer {
    const name = url.searchParams.get('name');
    const id = url.searchParams.get('hsm_id');
    if (name === null || name === '') return graphError(400, 100, '(#100) The parameter name is required.');
    const doomed = templates.filter((template) => template.definition.name === name && (id === null || template.id === id));
    if (doomed.length === 0) {
      return graphError(400, 100, 'Invalid parameter', { isTransient: false, userTitle: 'Message template not found', userMessage: `There is no message template named ${name}${id === null ? '' : ` with id ${id}`}.` });
    }
    for (const template of doomed) {
      if (template.status === 'APPROVED') blockedNames.set(name, settings.clock() + DELETED_NAME_BLOCK_MS);
      template.status = 'DELETED';
      templates.splice(templates.indexOf(template), 1);
    }
    return { status: 200, body: { success: true } };
  }

  function find(name: string, language: string): CreatedTemplate | undefined {
    return templates.find((template) => template.definition.name === name && template.definition.language === language);
  }

  return {
    handle(method, url, rawBody) {
      if (method === 'POST') return create(rawBody);
      if (method === 'GET') return list(url);
      if (method === 'DELETE') return remove(url);
      return graphError(400, 100, `Unsupported ${method.toLowerCase()} request.`, { type: 'GraphMethodException' });
    },
    find,
    all: () => templates.map((template) => structuredClone(template)),
  };
}

function fieldOf(template: CreatedTemplate, field: string): unknown {
  switch (field) {
    case 'id':
      return template.id;
    case 'status':
      return template.status;
    case 'rejected_reason':
      return template.rejectedReason;
    case 'parameter_format':
      return (template.definition.parameter_format ?? 'positional').toUpperCase();
    default:
      return (template.definition as unknown as Record<string, unknown>)[field];
  }
}
