import { describe, expect, it } from 'vitest';
import { createStructuredLog, logLevelSetting } from './structured-log.ts';

function capturedLog(options: Parameters<typeof createStructuredLog>[0] = {}) {
  const lines: string[] = [];
  const log = createStructuredLog({ ...options, write: (line) => lines.push(line), clock: () => new Date('2026-03-01T09:30:00Z') });
  return { log, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('structured log', () => {
  it('writes one JSON line with the phone number, the message text and the secret redacted', () => {
    const { log, lines, parsed } = capturedLog({ secrets: ['EAAGm0PX4ZCpsBA-access-token'] });
    log.error('WhatsApp reply from +971 50 123 4567 not recorded', {
      text: 'Yes please, switch me to WhatsApp',
      authorization: 'Bearer EAAGm0PX4ZCpsBA-access-token',
      messages: 3,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(parsed()).toEqual([
      {
        time: '2026-03-01T09:30:00.000Z',
        level: 'ERROR',
        message: 'WhatsApp reply from [number] not recorded',
        fields: { text: '[redacted]', authorization: 'Bearer [secret]', messages: 3 },
      },
    ]);
    expect(lines[0]).not.toMatch(/4567|switch me|EAAG/);
  });

  it('redacts a name or a text wherever it is nested, and whatever the key case', () => {
    const { log, parsed } = capturedLog();
    log.info('inbound', { message: { from: '447700900123', messageText: 'STOP', first_name: 'Amira', displayName: 'Amira K.', rawBody: '{"x":1}' }, rows: [{ name: 'Omar' }] });
    expect(parsed()[0]!.fields).toEqual({
      message: { from: '[number]', messageText: '[redacted]', first_name: '[redacted]', displayName: '[redacted]', rawBody: '[redacted]' },
      rows: [{ name: '[redacted]' }],
    });
  });

  it("logs an error's kind, message and stack, redacted, and keeps counts, dates, addresses and ids as they are", () => {
    const { log, parsed } = capturedLog({ secrets: ['plivo-token-77'] });
    const error = new Error('duplicate key for +447700900123 (token plivo-token-77)');
    log.warn('not recorded', {
      error,
      contacts: 1_000_000,
      at: new Date('2026-02-01T00:00:00Z'),
      url: 'http://127.0.0.1:8787/webhooks/plivo',
      runId: '0192f3e4-5b6c-7d8e-9f01-234567890abc',
      workflowId: 'transition-acme-2026-02-01T00:00:00Z',
      body: Buffer.from('Text=Hello'),
    });
    const fields = parsed()[0]!.fields as Record<string, Record<string, string>>;
    expect(fields.error).toMatchObject({ type: 'Error', message: 'duplicate key for [number] (token [secret])' });
    expect(fields.error!.stack).toContain('Error: duplicate key for [number] (token [secret])');
    expect(fields).toMatchObject({
      contacts: 1_000_000,
      at: '2026-02-01T00:00:00.000Z',
      url: 'http://127.0.0.1:8787/webhooks/plivo',
      runId: '0192f3e4-5b6c-7d8e-9f01-234567890abc',
      workflowId: 'transition-acme-2026-02-01T00:00:00Z',
      body: '[redacted]',
    });
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const { log, lines } = capturedLog({ secrets: ['abc', 'abc-def-123'] });
    log.info('key abc-def-123 and abc');
    expect(JSON.parse(lines[0]!).message).toBe('key [secret] and [secret]');
  });

  it('writes only lines at or above its level, and a Temporal line at the time it was logged', () => {
    const { log, parsed } = capturedLog({ level: 'WARN' });
    log.info('worker started');
    log.debug('polling');
    log.warn('activity failed', { sdkComponent: 'activity', [Symbol.for('log_timestamp')]: 1_767_225_600_123_000_000n });
    expect(parsed()).toEqual([{ time: '2026-01-01T00:00:00.123Z', level: 'WARN', message: 'activity failed', fields: { sdkComponent: 'activity' } }]);
  });

  it('takes LOG_LEVEL in any case, INFO when unset, and nothing else', () => {
    expect(logLevelSetting({})).toBe('INFO');
    expect(logLevelSetting({ LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(logLevelSetting({ LOG_LEVEL: 'verbose' })).toBeUndefined();
  });
});
