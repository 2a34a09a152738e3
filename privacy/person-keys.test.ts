import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Insertable, Kysely } from 'kysely';
import { openDatabase } from '../database/connect.ts';
import type { Database, StagedRowTable } from '../database/schema.ts';
import { resolvePersonKeys } from './person-keys.ts';

const PERSON = '+971567770042';

function staged(source: string, lineNo: number, row: Partial<Insertable<StagedRowTable>>): Insertable<StagedRowTable> {
  return { migration_id: 'm1', source, line_no: lineNo, channel: 'sms', phone_raw: null, name: null, country: null, last_interaction_at: null, viber_user_id: null, raw: '{}', record_key: null, file_line: null, direction: null, delivery_status: null, ...row };
}

// Staged rows not cleaned yet and Viber subscribers' shared phones are read with the pipeline's normaliser: a row
// whose digits merely contain the person's number belongs to someone else and must never be taken for theirs.
describe('a person\'s keys', () => {
  let dir: string;
  let db: Kysely<Database>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'channelshift-person-keys-'));
    db = await openDatabase({ kind: 'embedded', dataDir: join(dir, 'pglite') });
    await db
      .insertInto('staged_rows')
      .values([
        // Cleaned: the pipeline read line 1 as the person's number, line 2 as another's.
        staged('crm', 1, { phone_raw: '056 777 0042', country: 'AE', name: 'Rahaf' }),
        staged('crm', 2, { phone_raw: '+971 50 123 4567', name: 'Other' }),
        // Not cleaned yet: the person written two ways, and a Saudi number with the same national digits.
        staged('late', 1, { phone_raw: '+971 56 777 0042' }),
        staged('late', 2, { phone_raw: '0567770042', country: 'AE' }),
        staged('late', 3, { phone_raw: '0567770042', country: 'SA' }),
        staged('late', 4, { phone_raw: '1567770042', country: 'US' }),
        // A Viber subscriber who never shared a number, on the account that shared the person's number.
        staged('viber', 1, { channel: 'viber', viber_user_id: 'vb-person', name: 'Rahaf' }),
        staged('viber', 2, { channel: 'viber', viber_user_id: 'vb-other', name: 'Other' }),
      ])
      .execute();
    await db
      .insertInto('normalized_rows')
      .values([
        { migration_id: 'm1', source: 'crm', line_no: 1, e164: PERSON, number_region: 'AE', line_type: 'mobile', reject_reason: null },
        { migration_id: 'm1', source: 'crm', line_no: 2, e164: '+971501234567', number_region: 'AE', line_type: 'mobile', reject_reason: null },
      ])
      .execute();
    const subscriber = { bot: 'bot', name: null, language: null, subscribed: true, subscribed_at: null, unsubscribed_at: null, last_event_at: new Date(), updated_at: new Date() };
    await db
      .insertInto('viber_subscribers')
      .values([
        { ...subscriber, user_id: 'vb-person', phone: '971567770042', country: 'AE' },
        { ...subscriber, user_id: 'vb-saudi', phone: '0567770042', country: 'SA' },
      ])
      .execute();
    await db.insertInto('contacts').values({ migration_id: 'm1', e164: PERSON, name: 'Rahaf', country: 'AE', line_type: 'mobile', channels: ['sms'], last_interaction_at: null, viber_user_id: null, source_rows: 1, batch_no: null, reachability: null, reachability_evidence: null, wa_id: null, verified_at: null, whatsapp_state: null, whatsapp_settled_at: null }).execute();
  });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are the rows read as their number and their Viber account\'s, and no one else\'s', async () => {
    const keys = await resolvePersonKeys(db, PERSON);
    expect(keys.stagedRows.map((r) => `${r.source}:${r.lineNo}`).sort()).toEqual(['crm:1', 'late:1', 'late:2', 'viber:1']);
    expect(keys.viberUserIds).toEqual(['vb-person']);
    expect(keys.contactIds).toHaveLength(1);
    expect(keys).toMatchObject({ digits: '971567770042', nationalDigits: '567770042', waIds: ['971567770042'] });
    expect(new Set(keys.addresses)).toEqual(new Set([PERSON, '971567770042', 'vb-person']));
  });

  it('refuse what is not an E.164 number', async () => {
    await expect(resolvePersonKeys(db, '0567770042')).rejects.toThrow('a person is found by an E.164 number');
  });
});
