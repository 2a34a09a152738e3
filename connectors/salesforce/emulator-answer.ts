/** What an emulator route answers: a status, and a body sent as JSON unless `csv` says otherwise. */
export interface Answer {
  status: number;
  body?: unknown;
  csv?: string;
}

/** Salesforce's REST error shape: a list of `{message, errorCode, fields}`. */
export function errorAnswer(status: number, errorCode: string, message: string, fields: string[] = []): Answer {
  return { status, body: [{ message, errorCode, fields }] };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A record id of Salesforce's 18-character shape for the key prefix (003 Contact, 750 job, 00N field). */
export function salesforceId(prefix: string, serial: number): string {
  return `${prefix}Em${serial.toString(36).toUpperCase().padStart(10, 'x')}AAE`.slice(0, 18);
}
