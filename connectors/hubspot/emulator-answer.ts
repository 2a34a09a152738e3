import { randomUUID } from 'node:crypto';

/** An emulator's answer before it is written out. */
export interface Answer {
  status: number;
  body: unknown;
}

/** HubSpot's error body for the CRM API. */
export function failure(status: number, category: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

export const validationError = (message: string): Answer => failure(400, 'VALIDATION_ERROR', message);

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
