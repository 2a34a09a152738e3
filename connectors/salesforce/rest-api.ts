import fetch from 'node-fetch';
import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { crmAllowanceSpent } from '../crm-contact.ts';
import type { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import type { SalesforceLogin } from './token-client.ts';

export interface SalesforceApiOptions {
  login: SalesforceLogin;
  limit: SlidingWindowLimit;
  apiVersion: string;
  /** How long after a spent daily allocation to look again: Salesforce's window rolls over 24 hours. */
  allowanceRecheckMs: number;
}

export interface RequestOptions {
  json?: unknown;
  csv?: string;
  /** What the answer is: the Bulk results endpoints answer CSV. */
  accept?: 'json' | 'csv';
  /** Error statuses the caller reads itself instead of failing. */
  expected?: readonly number[];
}

export interface SalesforceApi {
  /** One paced request to `/services/data/vXX.X{path}` on the org's instance; any non-2xx answer throws. */
  request(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, options?: RequestOptions): Promise<ApiAnswer>;
}

export interface ApiAnswer {
  status: number;
  text: string;
}

/** Salesforce's error body: a list of `{message, errorCode, fields}`. */
export interface SalesforceError {
  message?: string;
  errorCode?: string;
}

export function errorsOf(text: string): SalesforceError[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed as SalesforceError[]) : [];
  } catch {
    return [];
  }
}

/** Long-running requests take 20 seconds or more; one of them has ended by then. */
const CONCURRENCY_RETRY_MS = 20_000;

export function createSalesforceApi(options: SalesforceApiOptions): SalesforceApi {
  return {
    async request(method, path, { json, csv, accept = 'json', expected = [] } = {}) {
      await options.limit.take();
      const session = await options.login.session();
      const response = await fetch(`${session.instanceUrl}/services/data/v${options.apiVersion}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          accept: accept === 'csv' ? 'text/csv' : 'application/json',
          ...(csv !== undefined ? { 'content-type': 'text/csv' } : json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: csv ?? (json === undefined ? undefined : JSON.stringify(json)),
      });
      const text = await response.text();
      if (response.ok || expected.includes(response.status)) return { status: response.status, text };
      const errors = errorsOf(text);
      const codes = errors.map((error) => error.errorCode);
      if (response.status === 401 && codes.includes('INVALID_SESSION_ID')) {
        options.login.drop(session);
        throw ApplicationFailure.create({
          type: 'SalesforceUnavailable',
          message: 'Salesforce no longer accepts the session (INVALID_SESSION_ID); the next attempt logs in again',
          nonRetryable: false,
        });
      }
      // The same code also reports too many long-running requests at once (ConcurrentPerOrgLongTxn), which passes in seconds.
      if (codes.includes('REQUEST_LIMIT_EXCEEDED') && errors.some((error) => error.message?.includes('Concurrent'))) {
        throw ApplicationFailure.create({
          type: 'SalesforceUnavailable',
          message: `Salesforce answered HTTP ${response.status}: ${redactPhoneNumbers(text.slice(0, 500))}`,
          nonRetryable: false,
          nextRetryDelay: CONCURRENCY_RETRY_MS,
        });
      }
      if (codes.includes('REQUEST_LIMIT_EXCEEDED')) {
        const resumeAt = new Date(Date.now() + options.allowanceRecheckMs);
        const usage = response.headers.get('sforce-limit-info');
        throw crmAllowanceSpent(
          'salesforce',
          resumeAt,
          `Salesforce's daily API allocation is spent (REQUEST_LIMIT_EXCEEDED${usage === null ? '' : `, ${usage}`}); checking again at ${resumeAt.toISOString()}`,
        );
      }
      throw vendorFailure('Salesforce', response.status, text, retryAfterMs(response.headers.get('retry-after')));
    },
  };
}
