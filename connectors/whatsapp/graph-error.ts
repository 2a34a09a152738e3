import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';

/** Meta's error envelope, as the Graph API answers it. */
export interface GraphError {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  is_transient?: unknown;
  error_user_title?: unknown;
  error_user_msg?: unknown;
  error_data?: { details?: unknown };
  fbtrace_id?: unknown;
}

export function graphErrorIn(body: string): GraphError | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed?.error === 'object' && parsed.error !== null ? (parsed.error as GraphError) : undefined;
  } catch {
    return undefined;
  }
}

/** What Meta said, for a failure's message: its code and subcode, its words (and the ones for a person), the trace id. */
export function describeGraphError(status: number, error: GraphError & { code: number }): string {
  const said = [error.message, error.error_data?.details, error.error_user_title, error.error_user_msg]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(': ');
  const subcode = typeof error.error_subcode === 'number' ? `, subcode ${error.error_subcode}` : '';
  const trace = typeof error.fbtrace_id === 'string' ? ` (fbtrace_id ${error.fbtrace_id})` : '';
  // Meta's codes stay outside the redaction, which could take a code next to other digits for a phone number.
  return `WhatsApp answered HTTP ${status} with code ${error.code}${subcode}: ${redactPhoneNumbers(said.slice(0, 800))}${trace}`;
}
