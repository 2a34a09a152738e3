import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationInputProblems } from '../workflows/migration-input.ts';
import { readMigrationConfig } from '../cli/migration-config.ts';

const csv = { kind: 'csv', name: 'crm-export', path: 'customers.csv', columns: { phone: 'Mobile' } };
const valid = { migrationId: 'acme-2026', sources: [csv] };

describe('migration input', () => {
  it('accepts the documented examples of every source kind', () => {
    expect(
      migrationInputProblems({
        ...valid,
        batchSize: 1000,
        concurrency: 4,
        incremental: true,
        backupDir: 'backups',
        sources: [
          { ...csv, defaultCountry: 'AE', encoding: 'windows-1256', delimiter: ';' },
          { kind: 'vonage', name: 'vonage-sms', accountId: 'abcd1234', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', mode: 'async' },
          { kind: 'vonage-report-file', name: 'vonage-2025', path: 'report.zip' },
          { kind: 'plivo', name: 'plivo-sms', from: '2026-09-01T00:00:00Z' },
          { kind: 'viber', name: 'viber-bot', recordsPath: 'subscribers.csv', recordColumns: { viberUserId: 'id', phone: 'phone' } },
        ],
      }),
    ).toEqual([]);
  });

  it('names each wrong field', () => {
    expect(
      migrationInputProblems({
        migrationId: 'ACME 2026',
        sources: [
          { kind: 'csv', name: '', path: 'x', columns: {} },
          { kind: 'plivo', name: 'p', from: 'yesterday' },
          { kind: 'vonage', name: 'p', accountId: 'abcd1234', from: '2026-02-01', to: '2026-01-01' },
          { kind: 'fax', name: 'f' },
        ],
        concurrency: 0,
      }),
    ).toEqual([
      'migrationId: 1 to 63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
      'sources[0].name: 1 to 63 characters of letters, digits, ".", "-" and "_"',
      'sources[0].columns.phone: the name of the column is required',
      'sources[1].from: an ISO 8601 time, like "2026-01-01T00:00:00Z"',
      'sources[2].name: "p" names another source too',
      'sources[2].to: must be later than from',
      'sources[3].kind: one of csv, vonage, vonage-report-file, plivo, viber',
      'concurrency: a whole number from 1 to 32',
    ]);
    expect(migrationInputProblems([])).toEqual(['the input must be a JSON object']);
    expect(migrationInputProblems({ migrationId: 'a', sources: [] })).toEqual(['sources: a list of at least one source is required']);
  });

  it('accepts the documented verification and opt-in settings, and names each wrong one', () => {
    const optIn = {
      viberSender: 'Acme',
      window: '7 days',
      reminderAfter: '2 days',
      quietHours: { start: '21:00', end: '08:00' },
      texts: { fr: { notice: 'Nous passons à WhatsApp ! Répondez OUI.', reminder: 'Rappel : répondez OUI.' } },
      smsVendorByCountry: { GB: 'plivo' },
      welcomeTemplate: { name: 'welcome_to_whatsapp', languages: { en: 'en', ar: 'ar' } },
    };
    expect(migrationInputProblems({ ...valid, verify: { carrierLookup: 'plivo', inactiveAfterDays: 180 }, optIn })).toEqual([]);
    expect(
      migrationInputProblems({
        ...valid,
        verify: { carrierLookup: 'twilio' },
        optIn: { window: 'a week', reminderAfter: '8 days', quietHours: { start: '9pm', end: '08:00' }, texts: { fr: { notice: '' } }, smsVendor: 'sinch' },
      }),
    ).toEqual([
      'verify.carrierLookup: "plivo" or "vonage"',
      'optIn.window: a duration like "7 days", "12 hours" or "30s"',
      'optIn.quietHours: { "start": "HH:MM", "end": "HH:MM" } with different times, or null',
      'optIn.texts.fr.notice: a text is required',
      'optIn.texts.fr.reminder: a text is required',
      'optIn.smsVendor: "vonage" or "plivo"',
    ]);
    expect(migrationInputProblems({ ...valid, optIn: { window: '2 days', reminderAfter: '3 days' } })).toEqual(['optIn.reminderAfter: must be shorter than window']);
  });

  it('reads a config file and resolves file paths from its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-config-'));
    writeFileSync(
      join(dir, 'migration.json'),
      JSON.stringify({ ...valid, backupDir: 'backups', sources: [csv, { kind: 'viber', name: 'bot', recordsPath: 'subs.csv', recordColumns: { viberUserId: 'id' } }] }),
    );
    const input = await readMigrationConfig(join(dir, 'migration.json'));
    expect(input.sources.map((s) => (s.kind === 'csv' ? s.path : s.kind === 'viber' ? s.recordsPath : undefined))).toEqual([join(dir, 'customers.csv'), join(dir, 'subs.csv')]);
    expect(input.backupDir).toBe(join(dir, 'backups'));
  });

  it('says which file is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-config-'));
    writeFileSync(join(dir, 'broken.json'), '{ "migrationId": ');
    await expect(readMigrationConfig(join(dir, 'broken.json'))).rejects.toThrow(/broken\.json: not valid JSON/);
    await expect(readMigrationConfig(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: no such file/);
  });
});
