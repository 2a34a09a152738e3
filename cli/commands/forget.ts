import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { erasureKey } from '../../privacy/erasure-key.ts';
import { requestErasure, withdrawErasure } from '../../privacy/erasure-requests.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { forgetPersonWorkflow, forgetPersonWorkflowId } from '../../workflows/forget-person.ts';
import { personNumber } from '../person-number.ts';

/**
 * `forget --phone NUMBER [--country XX] [--wait]`: an erasure request (GDPR, CCPA). The number goes to the database
 * only; the workflow gets the request's id, and when it is done only the number's keyed hash is left.
 */
export async function forgetCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { phone: { type: 'string' }, country: { type: 'string' }, wait: { type: 'boolean', default: false } },
  });
  const e164 = personNumber('forget', values.phone, values.country);
  const key = erasureKey();
  const db = await openDatabase(databaseLocation());
  let client: Client | undefined;
  try {
    const { requestId, subjectHash } = await requestErasure(db, e164, key);
    const settings = temporalSettings();
    const workflowId = forgetPersonWorkflowId(requestId);
    let handle;
    try {
      client = await createTemporalClient(settings);
      handle = await client.workflow.start(forgetPersonWorkflow, { workflowId, taskQueue: settings.taskQueue, args: [{ requestId }] });
    } catch (error) {
      await withdrawErasure(db, requestId);
      throw error;
    }
    console.log(`Erasure request ${requestId} started: workflow ${workflowId}. Evidence kept: the number's keyed hash ${subjectHash}.`);
    if (!values.wait) return;
    const removed = await handle.result();
    const places = Object.entries(removed).sort(([a], [b]) => a.localeCompare(b));
    console.log(`Done. Records removed: ${places.reduce((sum, [, n]) => sum + n, 0)}`);
    for (const [place, count] of places) console.log(`  ${place}  ${count}`);
  } finally {
    await client?.connection.close();
    await db.destroy();
  }
}
