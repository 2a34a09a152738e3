import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback } from '../loopback-server.ts';

export interface ContactsCheckEmulatorOptions {
  port?: number;
  token?: string;
  latencyMs?: number;
  onWhatsApp?: (e164: string) => boolean;
}

export interface ContactsCheckEmulator {
  url: string;
  token: string;
  /** answered checks per number: counted only when the answer was fully delivered to a client that was still connected */
  checksPerNumber(): ReadonlyMap<string, number>;
  /** the ground truth used to answer */
  isOnWhatsApp(e164: string): boolean;
  /** from now on, requests wait unanswered */
  hold(): void;
  /** answer the held ones (skipping those whose client disconnected) and stop holding */
  release(): void;
  /** how many are waiting now */
  heldRequests(): number;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const CONTACTS_PER_REQUEST = 1000;

interface Answer {
  status: number;
  body: unknown;
  /** The numbers this answer reports on, counted once it is delivered. */
  checked: readonly string[];
}

interface PendingAnswer {
  res: ServerResponse;
  answer: Answer;
  clientGone: boolean;
}

/** About 80% of numbers, stable across runs: a hash of the digits, not randomness. */
function mostNumbersOnWhatsApp(e164: string): boolean {
  let hash = 0x811c9dc5;
  for (const digit of e164.replace(/\D/g, '')) hash = Math.imul(hash ^ digit.charCodeAt(0), 0x01000193);
  return (hash >>> 0) % 100 < 80;
}

/** The On-Premises API reported errors as an `errors` array of `{code, title, details}`. */
function refusal(status: number, code: number, title: string, details: string): Answer {
  return { status, body: { errors: [{ code, title, details }] }, checked: [] };
}

function invalidParameter(details: string): Answer {
  return refusal(400, 1009, 'Parameter value is not valid', details);
}

/**
 * The legacy WhatsApp On-Premises contacts check (`POST /v1/contacts`), strict about auth and input,
 * with switches to delay or hold answers so tests can see what happens to checks in flight.
 */
export async function startContactsCheckEmulator(options: ContactsCheckEmulatorOptions = {}): Promise<ContactsCheckEmulator> {
  const token = options.token ?? 'whatsapp-emulator-token';
  const onWhatsApp = options.onWhatsApp ?? mostNumbersOnWhatsApp;
  const latencyMs = options.latencyMs ?? 0;
  const checks = new Map<string, number>();
  let holding = false;
  let held: PendingAnswer[] = [];

  const isOnWhatsApp = (e164: string): boolean => E164.test(e164) && onWhatsApp(e164);

  function answerFor(req: IncomingMessage, rawBody: string): Answer {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (req.method !== 'POST' || path !== '/v1/contacts') {
      return refusal(404, 1006, 'Resource not found', `${req.method} ${path} does not exist`);
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return refusal(401, 1005, 'Access denied', 'Missing or invalid bearer token');
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return invalidParameter('Request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return invalidParameter('Request body must be a JSON object');
    }
    const { blocking, contacts, force_check: forceCheck } = body as Record<string, unknown>;
    if (contacts === undefined) return refusal(400, 1008, 'Required parameter is missing', 'contacts is required');
    if (!Array.isArray(contacts) || contacts.length === 0 || !contacts.every((c) => typeof c === 'string')) {
      return invalidParameter('contacts must be a non-empty array of strings');
    }
    if (contacts.length > CONTACTS_PER_REQUEST) {
      return invalidParameter(`contacts takes at most ${CONTACTS_PER_REQUEST} numbers, got ${contacts.length}`);
    }
    // `blocking` is optional in the vendor's API (no_wait by default), but only these two values exist.
    if (blocking !== undefined && blocking !== 'wait' && blocking !== 'no_wait') {
      return invalidParameter("blocking must be 'wait' or 'no_wait'");
    }
    if (forceCheck !== undefined && typeof forceCheck !== 'boolean') return invalidParameter('force_check must be a boolean');
    const answers = contacts.map((input: string) =>
      isOnWhatsApp(input) ? { input, status: 'valid', wa_id: input.slice(1) } : { input, status: 'invalid' },
    );
    return { status: 200, body: { contacts: answers }, checked: contacts };
  }

  async function deliver(pending: PendingAnswer): Promise<void> {
    if (latencyMs > 0) await sleep(latencyMs);
    if (pending.clientGone) return;
    const { res, answer } = pending;
    res.once('finish', () => {
      for (const e164 of answer.checked) checks.set(e164, (checks.get(e164) ?? 0) + 1);
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  }

  const server = createServer((req, res) => {
    text(req).then(
      (rawBody) => {
        const pending: PendingAnswer = { res, answer: answerFor(req, rawBody), clientGone: res.destroyed };
        res.on('close', () => {
          if (res.writableFinished) return;
          pending.clientGone = true;
          held = held.filter((other) => other !== pending);
        });
        if (holding) held.push(pending);
        else void deliver(pending);
      },
      // The client went away while sending its body: there is no one left to answer.
      () => res.destroy(),
    );
  });
  const { url, close } = await listenOnLoopback(server, options.port);

  return {
    url,
    token,
    checksPerNumber: () => new Map(checks),
    isOnWhatsApp,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const waiting = held;
      held = [];
      for (const pending of waiting) void deliver(pending);
    },
    heldRequests: () => held.length,
    close,
  };
}
