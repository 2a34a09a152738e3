import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';

/**
 * `count` merged contacts for a migration, written straight into the database as the clean stage leaves them, so a
 * CRM test starts at the sync without spending minutes on the stages before it. Numbers are `+9715<8 digits>`
 * from `firstNumber`; every third contact is on Viber too, every fifth has said yes and every seventh has WhatsApp.
 */
export async function seedContacts(db: Kysely<Database>, migrationId: string, count: number, firstNumber = 10_000_000): Promise<void> {
  await sql`
    INSERT INTO contacts (migration_id, e164, name, country, line_type, channels, source_rows, batch_no, reachability,
                          whatsapp_state, wa_id)
    SELECT ${migrationId}, '+9715' || (${firstNumber} + i), 'Customer ' || i || ' Test', 'AE', 'mobile',
           CASE WHEN i % 3 = 0 THEN ARRAY['sms', 'viber'] ELSE ARRAY['sms'] END, 1, i / 1000, 'likely',
           CASE WHEN i % 7 = 0 THEN 'active' END, CASE WHEN i % 7 = 0 THEN '9715' || (${firstNumber} + i) END
    FROM generate_series(0, ${count - 1}) AS i`.execute(db);
  await sql`
    INSERT INTO consent_ledger (e164, decision, channel, provider, provider_message_id, address, text, event_at)
    SELECT '+9715' || (${firstNumber} + i), 'granted', 'sms', 'vonage', ${migrationId} || '-' || i, '9715' || (${firstNumber} + i), 'YES',
           now() - interval '1 day'
    FROM generate_series(0, ${count - 1}, 5) AS i`.execute(db);
  await sql`
    INSERT INTO consent_states (e164, decision, event_at, ledger_id)
    SELECT e164, decision, event_at, id FROM consent_ledger WHERE provider_message_id LIKE ${`${migrationId}-%`}
    ON CONFLICT (e164) DO NOTHING`.execute(db);
}
