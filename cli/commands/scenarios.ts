import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AcceptedConversion, Conversion, RefusedConversion } from '../../scenarios/convert/conversion.ts';
import { convertScenarios } from '../../scenarios/convert/convert-scenarios.ts';
import type { RejectedEntry } from '../../scenarios/import/import-result.ts';
import { readScenarioFiles } from '../../scenarios/import/read-scenario-files.ts';
import { UsageError } from '../usage-error.ts';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { isDuration } from '../../workflows/opt-in-campaign-input.ts';
import { describeReview, startApprovals, storeTemplates } from '../template-submission.ts';

/**
 * `scenarios convert FILE... [--named] [--out DIR] [--json]`: SMS exports, Viber messages and scenario files as
 * WhatsApp message templates, each accepted with its variable mapping or refused with every reason and its fix.
 * Refusals are results, not failures: the exit code is 0 whenever the files were read.
 * `scenarios submit FILE... [--named] [--wait] [--poll-every DURATION]` stores the accepted ones and starts each one's
 * approval workflow; `scenarios status [--json]` shows where Meta's review of each stored template stands.
 */
export async function scenariosCommand(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        named: { type: 'boolean', default: false },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        wait: { type: 'boolean', default: false },
        'poll-every': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(`scenarios: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  const [action, ...files] = positionals;
  if (action === 'status') return showTemplates(values.json);
  if (action !== 'convert' && action !== 'submit') throw new UsageError('scenarios needs convert, submit or status');
  if (files.length === 0) throw new UsageError(`scenarios ${action} needs at least one file (.csv SMS export, Viber messages .json, or scenarios .json)`);
  const pollEvery = values['poll-every'];
  if (pollEvery !== undefined && !isDuration(pollEvery)) throw new UsageError('scenarios submit --poll-every: a duration like "30 minutes" or "1h"');

  const read = await readScenarioFiles(files);
  const conversions = convertScenarios(read.scenarios, { parameterFormat: values.named ? 'named' : 'positional' });
  const accepted = conversions.filter((c): c is AcceptedConversion => c.ok);
  const refused = conversions.filter((c): c is RefusedConversion => !c.ok);

  if (action === 'submit') {
    for (const conversion of refused) console.log(describe(conversion).join('\n'));
    for (const entry of read.rejected) console.log(describeUnreadable(entry).join('\n'));
    return submitTemplates(accepted, values.wait, pollEvery);
  }
  if (values.out) await writeTemplates(values.out, accepted, refused, read.rejected);
  if (values.json) {
    console.log(JSON.stringify({ accepted, refused, unreadable: read.rejected }, null, 2));
    return;
  }
  for (const conversion of conversions) console.log(describe(conversion).join('\n'));
  for (const entry of read.rejected) console.log(describeUnreadable(entry).join('\n'));
  console.log(
    `\n${conversions.length} scenarios read from ${files.length} file${files.length === 1 ? '' : 's'}: ${accepted.length} accepted, ${refused.length} refused` +
      (read.rejected.length ? `; ${read.rejected.length} entr${read.rejected.length === 1 ? 'y' : 'ies'} could not be read` : '') +
      (values.out ? ` (written to ${values.out})` : ''),
  );
}

function describe(conversion: Conversion): string[] {
  if (!conversion.ok) {
    return [
      `✗ ${conversion.id}  refused  [${conversion.origin}]`,
      ...conversion.problems.flatMap((p) => [`    ${p.rule}: ${p.reason}`, `      fix: ${p.suggestion}`]),
    ];
  }
  const { template } = conversion;
  return [
    `✓ ${conversion.id} → ${template.name} (${template.language}) ${template.category}  [${conversion.origin}]`,
    `    category: ${conversion.category.reason}`,
    ...conversion.variables.map((v) => {
      const where = v.component === 'button' ? ` in button ${v.buttonIndex! + 1}` : v.component === 'header' ? ' in the header' : '';
      return `    {{${v.parameter}}}${where} ← ${v.placeholder}  ${v.field}${v.fieldFrom === 'default' ? ' (default)' : ''}  e.g. "${v.example}"`;
    }),
    ...conversion.notes.map((note) => `    note: ${note}`),
  ];
}

function describeUnreadable(entry: RejectedEntry): string[] {
  return [`✗ ${entry.id ?? '(no id)'}  not read  [${entry.origin}]`, ...entry.errors.map((e) => `    ${e.field}: ${e.reason}`)];
}

/** One `<name>.<language>.json` per template (the definition to POST, and how to fill it), and `refused.json`. */
async function writeTemplates(dir: string, accepted: AcceptedConversion[], refused: RefusedConversion[], unreadable: RejectedEntry[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const { template, ok: _ok, ...mapping } of accepted) {
    await writeFile(join(dir, `${template.name}.${template.language}.json`), `${JSON.stringify({ template, ...mapping }, null, 2)}\n`);
  }
  await writeFile(join(dir, 'refused.json'), `${JSON.stringify({ refused, unreadable }, null, 2)}\n`);
}

async function submitTemplates(accepted: AcceptedConversion[], wait: boolean, pollEvery: string | undefined): Promise<void> {
  const db = await openDatabase(databaseLocation());
  try {
    const { stored, submittedBefore } = await storeTemplates(db, accepted);
    for (const key of submittedBefore) console.log(`${key.name} (${key.language}): submitted before, ${key.status} (Meta takes no second template by this name: rename it to submit a change)`);
    const settings = temporalSettings();
    const client = await createTemporalClient(settings);
    try {
      const handles = await startApprovals(client, settings.taskQueue, stored, pollEvery);
      console.log(`${handles.length} template${handles.length === 1 ? '' : 's'} submitted for Meta's review${wait ? '; waiting for the decisions' : ' (see "channelshift scenarios status")'}`);
      if (!wait) return;
      for (const [i, handle] of handles.entries()) console.log(describeReview(stored[i]!, await handle.result()));
    } finally {
      await client.connection.close();
    }
  } finally {
    await db.destroy();
  }
}

async function showTemplates(json: boolean): Promise<void> {
  const db = await openDatabase(databaseLocation());
  try {
    const rows = await db.selectFrom('whatsapp_templates').select(['name', 'language', 'status', 'reason', 'origin', 'submitted_at', 'decided_at']).orderBy('name').orderBy('language').execute();
    if (json) return console.log(JSON.stringify(rows, null, 2));
    if (rows.length === 0) return console.log('No templates stored; "channelshift scenarios submit FILE..." stores and submits them.');
    for (const row of rows) console.log(`${row.name} (${row.language}): ${row.status}${row.reason ? `, ${row.reason}` : ''}  [${row.origin}]`);
  } finally {
    await db.destroy();
  }
}
