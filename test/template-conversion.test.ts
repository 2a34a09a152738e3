import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatedCustomers } from '../connectors/emulated-customers.ts';
import { startWhatsAppCloudEmulator, type WhatsAppCloudEmulator } from '../connectors/whatsapp/cloud-emulator.ts';
import { createWhatsAppTemplatesClient } from '../connectors/whatsapp/templates-client.ts';
import type { AcceptedConversion } from '../scenarios/convert/conversion.ts';
import { convertScenarios } from '../scenarios/convert/convert-scenarios.ts';
import { readScenarioFiles } from '../scenarios/import/read-scenario-files.ts';

const examples = ['sms-export.csv', 'viber-messages.json', 'scenarios.json'].map((file) => join(import.meta.dirname, '../scenarios/examples', file));

describe('the example scenarios, converted and submitted to the WhatsApp emulator', () => {
  let whatsApp: WhatsAppCloudEmulator;
  beforeAll(async () => {
    whatsApp = await startWhatsAppCloudEmulator({ customers: emulatedCustomers(new Map()) });
  });
  afterAll(async () => whatsApp.close());

  for (const parameterFormat of ['positional', 'named'] as const) {
    it(`(${parameterFormat} variables) are created by Meta's rules when the converter accepts them, and say why when it refuses`, async () => {
      const read = await readScenarioFiles(examples);
      const conversions = convertScenarios(read.scenarios, { parameterFormat });
      const accepted = conversions.filter((c): c is AcceptedConversion => c.ok);
      const languages = new Set(accepted.map((c) => c.template.language.slice(0, 2)));
      expect(read.scenarios.length + read.rejected.length).toBeGreaterThanOrEqual(20);
      expect(languages).toEqual(new Set(['en', 'ar']));
      expect(new Set(read.scenarios.map((s) => s.channel))).toEqual(new Set(['sms', 'viber']));

      const templates = createWhatsAppTemplatesClient({ baseUrl: whatsApp.url, businessAccountId: whatsApp.businessAccountId, accessToken: whatsApp.accessToken });
      const created = await Promise.allSettled(
        accepted.map((c) => templates.createTemplate({ ...c.template, name: `${c.template.name}_${parameterFormat}` })),
      );
      const refusedByMeta = created.flatMap((result, i) => (result.status === 'rejected' ? [`${accepted[i]!.id}: ${String(result.reason)}`] : []));
      expect(refusedByMeta).toEqual([]);
      expect(accepted.length).toBeGreaterThanOrEqual(20);

      for (const refusal of conversions.filter((c) => !c.ok)) {
        expect(refusal.problems.length).toBeGreaterThan(0);
        for (const problem of refusal.problems) {
          expect(problem.reason).not.toBe('');
          expect(problem.suggestion).not.toBe('');
        }
      }
      for (const rejected of read.rejected) expect(rejected.errors.every((e) => e.reason !== '')).toBe(true);
    });
  }
});
