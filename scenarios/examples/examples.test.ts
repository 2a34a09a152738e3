import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scenariosCommand } from '../../cli/commands/scenarios.ts';
import { UsageError } from '../../cli/usage-error.ts';
import type { MessageTemplateDefinition } from '../../connectors/whatsapp/message-template.ts';
import { convertScenarios } from '../convert/convert-scenarios.ts';
import { creationProblems } from '../convert/creation-rules.ts';
import { readScenarioFiles } from '../import/read-scenario-files.ts';

const files = ['sms-export.csv', 'viber-messages.json', 'scenarios.json'].map((name) => join(import.meta.dirname, name));

const ACCEPTED = [
  'order_shipped', 'appointment_reminder', 'payment_due', 'otp_login', 'delivery_window', 'promo_spring', 'order_shipped_ar',
  'payment_reminder_ar', 'otp_ar', 'feedback_request', 'viber_order_shipped', 'viber_appointment_confirm', 'viber_back_in_stock',
  'viber_promo_ar', 'viber_delivery_ar', 'viber_password_changed', 'booking_confirmed', 'payment_received_ar', 'otp_signup',
  'appointment_reminder_ar', 'refund_processed', 'store_survey', 'delivery_failed', 'whatsapp_welcome_ar',
];
const REFUSED = {
  flash_sale_alert: ['variable-at-start'],
  account_welcome: ['adjacent-variables'],
  viber_catalogue_links: ['buttons-url'],
  viber_delivery_rating: ['button-text-length'],
};

describe('the example scenarios', () => {
  for (const format of ['positional', 'named'] as const) {
    it(`convert ${format}ly: ${ACCEPTED.length} accepted, ${Object.keys(REFUSED).length} refused with reasons, 2 unreadable`, async () => {
      const read = await readScenarioFiles(files);
      expect(read.rejected.map((r) => r.id)).toEqual(['viber_share_phone', 'newsletter_email']);
      const conversions = convertScenarios(read.scenarios, { parameterFormat: format });
      expect(conversions.filter((c) => c.ok).map((c) => c.id)).toEqual(ACCEPTED);
      const refused = Object.fromEntries(conversions.flatMap((c) => (c.ok ? [] : [[c.id, c.problems.map((p) => p.rule)]])));
      expect(refused).toEqual(REFUSED);
      for (const c of conversions) if (!c.ok) for (const p of c.problems) expect(p.suggestion).not.toBe('');
      const languages = new Set(read.scenarios.map((s) => s.language.slice(0, 2)));
      expect([...languages].sort()).toEqual(['ar', 'en']);
    });
  }
});

describe('channelshift scenarios convert', () => {
  let printed: string[];
  beforeEach(() => {
    printed = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints each scenario accepted with its mapping or refused with reasons and fixes', async () => {
    await scenariosCommand(['convert', ...files]);
    const output = printed.join('\n');
    expect(output).toContain('✓ order_shipped → order_shipped (en_US) UTILITY  [');
    expect(output).toContain('    {{1}} ← [Name]  contact.first_name (default)  e.g. "Sarah"');
    expect(output).toContain('✗ account_welcome  refused');
    expect(output).toContain('      fix: put words between [First Name] and [Last Name], or make them one variable (like a full-name field)');
    expect(output).toContain('✗ viber_share_phone  not read');
    expect(output).toMatch(/28 scenarios read from 3 files: 24 accepted, 4 refused; 2 entries could not be read$/);
  });

  it('writes one file per template and refused.json, and every written template passes the creation rules', async () => {
    const out = await mkdtemp(join(tmpdir(), 'templates-'));
    await scenariosCommand(['convert', ...files, '--named', '--out', out]);
    const written = (await readdir(out)).sort();
    expect(written).toHaveLength(ACCEPTED.length + 1);
    expect(written).toContain('viber_promo_ar.ar.json');
    expect(written).toContain('delivery_failed.en_GB.json');
    for (const name of written.filter((n) => n !== 'refused.json')) {
      const { template, variables } = JSON.parse(await readFile(join(out, name), 'utf8')) as { template: MessageTemplateDefinition; variables: unknown[] };
      expect(`${template.name}.${template.language}.json`).toBe(name);
      expect(creationProblems(template)).toEqual([]);
      expect(variables.length).toBeGreaterThan(0);
    }
    const refused = JSON.parse(await readFile(join(out, 'refused.json'), 'utf8'));
    expect(refused.refused.map((r: { id: string }) => r.id)).toEqual(Object.keys(REFUSED));
    expect(refused.unreadable).toHaveLength(2);
  });

  it('prints JSON on request', async () => {
    await scenariosCommand(['convert', files[0]!, '--json']);
    const report = JSON.parse(printed.join('\n'));
    expect(report.accepted).toHaveLength(10);
    expect(report.refused.map((r: { id: string }) => r.id)).toEqual(['flash_sale_alert', 'account_welcome']);
  });

  it('refuses a command line it cannot run as a usage error', async () => {
    await expect(scenariosCommand([])).rejects.toBeInstanceOf(UsageError);
    await expect(scenariosCommand(['convert'])).rejects.toBeInstanceOf(UsageError);
    await expect(scenariosCommand(['convert', files[0]!, '--bogus'])).rejects.toBeInstanceOf(UsageError);
  });
});
