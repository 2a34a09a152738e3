import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kysely } from 'kysely';
import { normalizeStagedRowsActivity } from '../activities/clean/normalize-staged-rows.ts';
import { mergeContactsActivity } from '../activities/clean/merge-contacts.ts';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { stageSource } from './support/stage-source.ts';
import type { CsvSource } from '../workflows/migration-input.ts';
import type { DataQuality } from '../workflows/migration-progress.ts';

const smsExport = `phone,name,country,last_sms
050 123 4567,Mohammed,AE,2026-01-10
+971501234567,Mohammed Al Ali,AE,2026-03-02
00966551234567,Sara,SA,2025-12-01
+44 7911 123456,,GB,2026-02-01
`;
const viberSubscribers = `viber_id,name,phone,country,subscribed
vb-1,محمد العلي,971501234567,AE,2026-02-15
vb-2,Sara K,+966 55 123 4567,SA,2026-04-01
vb-3,Sara Two,+966 55 123 4567,SA,2026-04-02
vb-4,Lena,+48 512 345 678,PL,2026-01-01
vb-4,Lena,+48 601 234 567,PL,2026-01-02
vb-5,James,+44 7911 123456,GB,2026-01-05
`;

describe('merging contacts from several sources', () => {
  let db: Kysely<Database>;
  const migrationId = `merge-${Date.now().toString(36)}`;
  const activity = new MockActivityEnvironment();
  beforeAll(async () => {
    db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-merge-'));
    writeFileSync(join(dir, 'sms.csv'), smsExport);
    writeFileSync(join(dir, 'viber.csv'), viberSubscribers);
    const sources: CsvSource[] = [
      { kind: 'csv', name: 'sms', path: join(dir, 'sms.csv'), columns: { phone: 'phone', name: 'name', country: 'country', lastInteraction: 'last_sms' } },
      {
        kind: 'csv',
        name: 'viber',
        channel: 'viber',
        path: join(dir, 'viber.csv'),
        columns: { phone: 'phone', name: 'name', country: 'country', lastInteraction: 'subscribed', viberUserId: 'viber_id' },
      },
    ];
    for (const source of sources) await stageSource(db, migrationId, source);
    await activity.run(normalizeStagedRowsActivity({ db }), migrationId, {});
  });
  afterAll(async () => db.destroy());

  const merge = async (): Promise<DataQuality & { contacts: number }> => activity.run(mergeContactsActivity({ db }), migrationId);
  const contact = (e164: string) =>
    db.selectFrom('contacts').selectAll().where('migration_id', '=', migrationId).where('e164', '=', e164).executeTakeFirstOrThrow();

  it('merges on the E.164 number: latest name that exists, latest interaction, every channel', async () => {
    const quality = await merge();
    expect(quality.contacts).toBe(5);
    expect(quality.duplicatesMerged).toBe(5);
    expect(quality.contactsFromSeveralRows).toBe(3);

    const mohammed = await contact('+971501234567');
    expect(mohammed).toMatchObject({ name: 'Mohammed Al Ali', channels: ['sms', 'viber'], source_rows: 3, viber_user_id: 'vb-1', country: 'AE' });
    expect(mohammed.last_interaction_at?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    // A row without a name never blanks the name another row gives.
    expect(await contact('+447911123456')).toMatchObject({ name: 'James', viber_user_id: 'vb-5', line_type: 'mobile' });
  });

  it('reports Viber ids and numbers the sources disagree on, and guesses neither', async () => {
    const quality = await merge();
    expect(quality.conflicts).toEqual({ viberUserWithSeveralNumbers: 1, numberWithSeveralViberUsers: 1 });
    expect((await contact('+48512345678')).viber_user_id).toBeNull();
    expect((await contact('+48601234567')).viber_user_id).toBeNull();
    expect((await contact('+966551234567')).viber_user_id).toBeNull();
    const conflicts = await db.selectFrom('merge_conflicts').select(['kind', 'subject', 'claims']).where('migration_id', '=', migrationId).orderBy('kind').execute();
    expect(conflicts).toEqual([
      { kind: 'number_with_several_viber_users', subject: '+966551234567', claims: ['vb-2', 'vb-3'] },
      { kind: 'viber_user_with_several_numbers', subject: 'vb-4', claims: ['+48512345678', '+48601234567'] },
    ]);
  });

  it('gives the same contacts however often it runs', async () => {
    const before = await db.selectFrom('contacts').selectAll().where('migration_id', '=', migrationId).orderBy('e164').execute();
    await merge();
    expect(await db.selectFrom('contacts').selectAll().where('migration_id', '=', migrationId).orderBy('e164').execute()).toEqual(before);
  });

  it('counts the report by reason, country and line type', async () => {
    const quality = await merge();
    expect(quality.rejectedByReason).toEqual({});
    expect(quality.contactsByCountry).toEqual({ AE: 1, SA: 1, PL: 2, GG: 1 });
    expect(Object.values(quality.contactsByLineType).reduce((a, b) => a + b, 0)).toBe(5);
  });
});
