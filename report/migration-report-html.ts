import type { ChannelOutcome, CohortReport, RolloutReport, ScenarioReport } from '../activities/rollout/rollout-report.ts';
import type { Breakdown, ConsentTimeline, MigrationReportData } from './migration-report-data.ts';
import { escapeHtml } from './escape-html.ts';
import { channelLabel, cohortLabel, formatCount, formatRate } from './figure-format.ts';
import { horizontalBars, stackedColumns, type Bar, type BarRow } from './svg-charts.ts';

const COLOR = {
  step: '#3b82f6',
  contacts: '#94a3b8',
  yes: '#16a34a',
  active: '#0f766e',
  stop: '#dc2626',
  reject: '#f59e0b',
  delivered: '#3b82f6',
  read: '#8b5cf6',
  replied: '#16a34a',
};

/**
 * The migration report as one self-contained HTML page: inline CSS, charts drawn as inline SVG, nothing fetched.
 * Every number shown carries `data-figure` with its name; the page holds figures only, nothing about any customer.
 */
export function migrationReportHtml(data: MigrationReportData): string {
  const title = `Migration ${data.migrationId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: migration report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${meta(data)}</p>
</header>
${keyFigures(data)}
${funnelSection(data)}
${rejectsSection(data)}
${breakdownSection('Contacts by country', 'country', data.countries, 'Contacts per country (the one the number was read in), with how many said yes and how many the welcome reached on WhatsApp.')}
${breakdownSection('Contacts by source channel', 'channel', data.channels, 'Contacts by the channels their source rows came from; a customer found on both SMS and Viber has a row of their own.')}
${consentSection(data)}
${data.rollouts.map(rolloutSection).join('\n')}
<footer>Figures only: this report holds no customer's number, name or message. Made by channelshift report.</footer>
</main>
</body>
</html>
`;
}

function meta(data: MigrationReportData): string {
  const parts = [`Report made ${timestamp(data.generatedAt)}`];
  const optIn = data.funnel.optIn;
  if (optIn) {
    parts.push(
      `opt-in campaign ${escapeHtml(optIn.campaignId)} opened ${timestamp(optIn.openedAt)}${optIn.closedAt ? `, closed ${timestamp(optIn.closedAt)}` : ', still open'}`,
    );
  }
  return `${parts.join('; ')}.`;
}

function keyFigures(data: MigrationReportData): string {
  const { funnel } = data;
  const cards: [string, number, string][] = [
    ['Rows read', funnel.extracted, 'funnel.extracted'],
    ['Contacts', funnel.contacts, 'funnel.contacts'],
    ...(funnel.optIn
      ? ([
          ['Said yes', funnel.optIn.granted, 'funnel.granted'],
          ['Active on WhatsApp', funnel.optIn.active, 'funnel.active'],
        ] as [string, number, string][])
      : ([['Likely on WhatsApp', funnel.likely, 'funnel.likely']] as [string, number, string][])),
  ];
  return `<section class="cards">${cards
    .map(([label, value, key]) => `<div class="card"><div class="card-value">${figure(key, value)}</div><div class="card-label">${label}</div></div>`)
    .join('')}</section>`;
}

function funnelSection(data: MigrationReportData): string {
  const f = data.funnel;
  const step = (label: string, key: string, value: number, note: string, color = COLOR.step): BarRow => ({
    label,
    bars: [{ value, text: formatCount(value), figure: `funnel.${key}`, color }],
    note,
  });
  const rows: BarRow[] = [
    step('Rows read', 'extracted', f.extracted, `${tspan('funnel.quarantined', f.quarantined)} unreadable lines kept in quarantine`),
    step('Usable numbers', 'valid', f.valid, `${tspan('funnel.rejected', f.rejected)} rows rejected (reasons below)`),
    step('Contacts', 'contacts', f.contacts, `${tspan('funnel.duplicatesMerged', f.duplicatesMerged)} repeated numbers merged into their contact`),
    step(
      'Verified',
      'verified',
      f.verified,
      `${tspan('funnel.likely', f.likely)} likely on WhatsApp · ${tspan('funnel.unlikely', f.unlikely)} unlikely · ${tspan('funnel.reachUnknown', f.reachUnknown)} unknown · ${tspan('funnel.reengage', f.reengage)} kept for re-engagement`,
    ),
  ];
  if (f.optIn) {
    const o = f.optIn;
    rows.push(
      step(
        'Asked to opt in',
        'recipients',
        o.recipients,
        `${tspan('funnel.notices', o.notices)} notices and ${tspan('funnel.reminders', o.reminders)} reminders sent · ${tspan('funnel.refused', o.refused)} refused by the vendor`,
      ),
      step('Said yes', 'granted', o.granted, `${tspan('funnel.withdrawn', o.withdrawn)} said STOP · ${tspan('funnel.undecided', o.undecided)} gave no answer`, COLOR.yes),
      step(
        'Active on WhatsApp',
        'active',
        o.active,
        `${tspan('funnel.welcomes', o.welcomes)} welcomed · ${tspan('funnel.notOnWhatsApp', o.notOnWhatsApp)} not on WhatsApp · ${tspan('funnel.activationFailed', o.activationFailed)} failed · ${tspan('funnel.activationUnknown', o.activationUnknown)} no status`,
        COLOR.active,
      ),
    );
  }
  const sources = data.sources
    .map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.kind)}</td><td class="n">${figure(`source.${s.name}.rows`, s.rows)}</td><td class="n">${figure(`source.${s.name}.quarantined`, s.quarantined)}</td></tr>`)
    .join('');
  return section(
    'From rows read to customers active on WhatsApp',
    f.optIn
      ? 'Each step of the migration and how many went on to the next; the grey line under a bar says where the others went.'
      : 'Each step of the migration and how many went on to the next. This migration had no opt-in campaign.',
    horizontalBars(rows, { title: 'Migration funnel' }) +
      `<table><thead><tr><th>Source</th><th>Kind</th><th class="n">Rows read</th><th class="n">In quarantine</th></tr></thead><tbody>${sources}</tbody></table>`,
  );
}

function rejectsSection(data: MigrationReportData): string {
  const reasons = Object.entries(data.rejectedByReason);
  if (reasons.length === 0) return section('Rejected rows', 'No row was rejected: every row read had a usable number.', '');
  const rows = reasons.map(([reason, n]): BarRow => ({ label: reason, bars: [{ value: n, text: formatCount(n), figure: `rejects.${reason}`, color: COLOR.reject }] }));
  return section(
    'Rejected rows by reason',
    `Rows whose number could not be used, by reason (${figure('funnel.rejected', data.funnel.rejected)} in all); each is kept with its reason for channelshift export.`,
    horizontalBars(rows, { title: 'Rejected rows by reason' }),
  );
}

function breakdownSection(heading: string, kind: string, rows: Breakdown[], caption: string): string {
  const withConsent = rows.some((row) => row.consented !== null);
  const bars = rows.map((row): BarRow => {
    const bar = (what: string, value: number, color: string): Bar => ({ value, text: formatCount(value), figure: `${kind}.${row.key}.${what}`, color });
    return {
      label: row.key,
      bars: [
        bar('contacts', row.contacts, COLOR.contacts),
        ...(row.consented !== null ? [bar('consented', row.consented, COLOR.yes)] : []),
        ...(row.active !== null ? [bar('active', row.active, COLOR.active)] : []),
      ],
    };
  });
  const legend = withConsent
    ? [
        { label: 'Contacts', color: COLOR.contacts },
        { label: 'Said yes', color: COLOR.yes },
        { label: 'Active on WhatsApp', color: COLOR.active },
      ]
    : undefined;
  return section(heading, caption, rows.length === 0 ? '' : horizontalBars(bars, { title: heading, legend }));
}

function consentSection(data: MigrationReportData): string {
  const optIn = data.funnel.optIn;
  if (!optIn) return '';
  const timeline = data.consentOverTime;
  if (!timeline) return section('Consent over time', 'No customer has said yes or STOP yet.', '');
  const columns = timeline.buckets.map((b) => ({ label: bucketLabel(b.start, timeline), values: [b.granted, b.withdrawn] }));
  const chart = stackedColumns(
    columns,
    [
      { label: 'Yes', color: COLOR.yes },
      { label: 'STOP', color: COLOR.stop },
    ],
    { title: 'Consent decisions over time', labelEvery: Math.ceil(columns.length / 8) },
  );
  const table = timeline.buckets
    .map((b) => {
      const key = `consent.${b.start.toISOString()}`;
      return `<tr><td>${escapeHtml(timestamp(b.start))}</td><td class="n">${figure(`${key}.granted`, b.granted)}</td><td class="n">${figure(`${key}.withdrawn`, b.withdrawn)}</td></tr>`;
    })
    .join('');
  return section(
    'Consent over time',
    `Yes and STOP ${bucketName(timeline.bucketSeconds)}, by when the customer wrote (UTC); each customer counts once, with their latest decision: ${figure('funnel.granted', optIn.granted)} yes and ${figure('funnel.withdrawn', optIn.withdrawn)} STOP in all.`,
    `${chart}<details><summary>The figures</summary><table><thead><tr><th>From</th><th class="n">Yes</th><th class="n">STOP</th></tr></thead><tbody>${table}</tbody></table></details>`,
  );
}

function rolloutSection(rollout: RolloutReport): string {
  return rollout.scenarios.map((scenario) => scenarioSection(rollout, scenario)).join('\n');
}

function scenarioSection(rollout: RolloutReport, scenario: ScenarioReport): string {
  const base = `ab.${rollout.rolloutId}.${scenario.scenarioId}`;
  const line = (cohort: CohortReport, o: ChannelOutcome) => `${base}.${cohort.cohort}.${o.channel}${o.attempt === 'fallback' ? '-fallback' : ''}`;
  const label = (cohort: CohortReport, o: ChannelOutcome) => `${cohortLabel(cohort)} · ${o.channel}${o.attempt === 'fallback' ? ' fallback' : ''}`;
  const rate = (key: string, value: number | null) => (value === null ? '<span class="none">n/a</span>' : figure(key, value, formatRate));
  const rows = scenario.cohorts.flatMap((cohort) =>
    cohort.outcomes.length === 0
      ? [`<tr><td>${escapeHtml(cohortLabel(cohort))}</td><td>-</td><td class="n">${figure(`${base}.${cohort.cohort}.audience`, cohort.audience)}</td><td class="n" colspan="8"><span class="none">nothing sent</span></td></tr>`]
      : cohort.outcomes.map((o, i) => {
          const key = line(cohort, o);
          return (
            `<tr><td>${i === 0 ? escapeHtml(cohortLabel(cohort)) : ''}</td><td>${escapeHtml(channelLabel(o))}</td>` +
            `<td class="n">${i === 0 ? figure(`${base}.${cohort.cohort}.audience`, cohort.audience) : ''}</td>` +
            `<td class="n">${figure(`${key}.sent`, o.sent)}</td><td class="n">${figure(`${key}.delivered`, o.delivered)}</td>` +
            `<td class="n">${o.read === null ? '<span class="none">n/a</span>' : figure(`${key}.read`, o.read)}</td><td class="n">${figure(`${key}.replied`, o.replied)}</td>` +
            `<td class="n">${rate(`${key}.deliveryRate`, o.deliveryRate)}</td><td class="n">${rate(`${key}.readRate`, o.readRate)}</td><td class="n">${rate(`${key}.replyRate`, o.replyRate)}</td>` +
            `<td class="n">${o.medianResponseMs === null ? '<span class="none">-</span>' : `${figure(`${key}.medianResponseSeconds`, o.medianResponseMs / 1000, (s) => s.toFixed(1))} s`}</td></tr>`
          );
        }),
  );
  const bars = scenario.cohorts.flatMap((cohort) =>
    cohort.outcomes.map((o): BarRow => {
      const key = line(cohort, o);
      const bar = (what: string, value: number | null, color: string): Bar[] => (value === null ? [] : [{ value, text: formatRate(value), figure: `${key}.${what}`, color }]);
      return {
        label: label(cohort, o),
        bars: [...bar('deliveryRate', o.deliveryRate, COLOR.delivered), ...bar('readRate', o.readRate, COLOR.read), ...bar('replyRate', o.replyRate, COLOR.replied)],
      };
    }),
  ).filter((row) => row.bars.length > 0);
  const chart =
    bars.length === 0
      ? ''
      : horizontalBars(bars, {
          title: `A/B rates of ${scenario.scenarioId}`,
          max: 1,
          legend: [
            { label: 'Delivered', color: COLOR.delivered },
            { label: 'Read', color: COLOR.read },
            { label: 'Replied', color: COLOR.replied },
          ],
        });
  return section(
    `A/B: ${scenario.scenarioId} (${scenario.stage})`,
    `Rollout ${escapeHtml(rollout.rolloutId)} to ${figure(`ab.${rollout.rolloutId}.audience`, rollout.audience)} contacts: per cohort and channel, the messages sent and what became of them. Rates are shares of the messages sent; SMS has no read receipt; held-out contacts (no consent, or not on WhatsApp) got the old channel and are outside the comparison.`,
    `<table><thead><tr><th>Cohort</th><th>Channel</th><th class="n">Contacts</th><th class="n">Sent</th><th class="n">Delivered</th><th class="n">Read</th><th class="n">Replied</th><th class="n">Delivery</th><th class="n">Read rate</th><th class="n">Reply rate</th><th class="n">Median reply</th></tr></thead><tbody>${rows.join('')}</tbody></table>${chart}`,
  );
}

function section(heading: string, caption: string, body: string): string {
  return `<section><h2>${escapeHtml(heading)}</h2><p class="caption">${caption}</p>${body}</section>`;
}

/** A number as HTML, carrying its name; written as a count unless told otherwise. */
function figure(key: string, value: number, format: (value: number) => string = formatCount): string {
  return `<span data-figure="${escapeHtml(key)}">${format(value)}</span>`;
}

/** A number inside an SVG text, carrying its name. */
function tspan(key: string, value: number): string {
  return `<tspan class="figure" data-figure="${escapeHtml(key)}">${formatCount(value)}</tspan>`;
}

function timestamp(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function bucketLabel(start: Date, timeline: ConsentTimeline): string {
  const iso = start.toISOString();
  if (timeline.bucketSeconds >= 86_400) return iso.slice(0, 10);
  const first = timeline.buckets[0]!.start.toISOString().slice(0, 10);
  const last = timeline.buckets.at(-1)!.start.toISOString().slice(0, 10);
  const time = timeline.bucketSeconds < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
  return first === last ? time : `${iso.slice(5, 10)} ${time}`;
}

function bucketName(seconds: number): string {
  const units: [number, string][] = [
    [7 * 86_400, 'week'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, unit] = units.find(([size]) => seconds % size === 0)!;
  const count = seconds / size;
  return count === 1 ? `per ${unit}` : `per ${count} ${unit}s`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: #1e293b; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
header h1 { margin: 0; font-size: 26px; font-weight: 700; letter-spacing: -0.01em; }
.meta { margin: 4px 0 24px; color: #64748b; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 20px 24px; margin: 0 0 20px; }
section h2 { margin: 0; font-size: 17px; font-weight: 650; }
.caption { margin: 2px 0 16px; color: #64748b; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 16px; background: none; border: 0; padding: 0; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 16px 20px; }
.card-value { font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card-label { color: #64748b; font-size: 13px; }
svg.chart { display: block; width: 100%; height: auto; margin: 14px 0 8px; }
svg .label { font-size: 13px; fill: #334155; }
svg .value { font-size: 12px; font-weight: 600; fill: #0f172a; }
svg .note { font-size: 12px; fill: #64748b; }
svg .figure { font-weight: 600; fill: #334155; }
svg .axis { font-size: 11px; fill: #64748b; }
svg .legend { font-size: 12px; fill: #334155; }
svg .grid { stroke: #e2e8f0; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; margin: 12px 0 4px; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef2f6; }
th { color: #64748b; font-weight: 600; font-size: 12px; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { white-space: nowrap; }
.none { color: #94a3b8; }
details { margin-top: 8px; color: #475569; }
summary { cursor: pointer; font-size: 13px; }
footer { color: #94a3b8; font-size: 12px; text-align: center; margin-top: 8px; }
`;
