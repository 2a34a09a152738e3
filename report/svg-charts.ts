import { escapeHtml } from './escape-html.ts';
import { formatCount } from './figure-format.ts';

/** One bar: its value, the text shown at its end, the `data-figure` key that text carries, and its colour. */
export interface Bar {
  value: number;
  text: string;
  figure: string;
  color: string;
}

/** A row of a horizontal bar chart: a label, one bar or a group of them, and an optional line of markup under them. */
export interface BarRow {
  label: string;
  bars: Bar[];
  /** Markup (already escaped) shown under the bars in small grey type. */
  note?: string;
}

export interface LegendItem {
  label: string;
  color: string;
}

const WIDTH = 960;
const BAR_HEIGHT = 16;
/** Bars of a group are thinner, so a row of three stays about as tall as two single bars. */
const GROUPED_BAR_HEIGHT = 11;
const BAR_GAP = 2;
const ROW_GAP = 12;
const NOTE_HEIGHT = 18;
const VALUE_ROOM = 90;
const LEGEND_HEIGHT = 26;

/** Horizontal bars on one scale (the largest value, or `max`), each number written at its bar's end. */
export function horizontalBars(rows: BarRow[], options: { title: string; max?: number; legend?: LegendItem[] }): string {
  // Room for the longest label (about 7.5 units a character at 13px); at least 170 so short-labelled charts line up.
  const labelWidth = Math.min(360, Math.max(170, Math.ceil(Math.max(...rows.map((row) => row.label.length)) * 7.5) + 24));
  const plot = WIDTH - labelWidth - VALUE_ROOM;
  const max = options.max ?? Math.max(1, ...rows.flatMap((row) => row.bars.map((bar) => bar.value)));
  const parts: string[] = [];
  let y = 0;
  if (options.legend) {
    parts.push(legend(options.legend, labelWidth, 0));
    y += LEGEND_HEIGHT;
  }
  for (const row of rows) {
    const barHeight = row.bars.length > 1 ? GROUPED_BAR_HEIGHT : BAR_HEIGHT;
    const groupHeight = row.bars.length * barHeight + (row.bars.length - 1) * BAR_GAP;
    parts.push(`<text x="${labelWidth - 12}" y="${y + groupHeight / 2}" class="label" text-anchor="end" dominant-baseline="central">${escapeHtml(row.label)}</text>`);
    row.bars.forEach((bar, i) => {
      const top = y + i * (barHeight + BAR_GAP);
      // A non-zero value never vanishes into a hairline.
      const width = bar.value <= 0 ? 0 : Math.max(2, (bar.value / max) * plot);
      parts.push(`<rect x="${labelWidth}" y="${top}" width="${round(width)}" height="${barHeight}" rx="2" fill="${bar.color}"/>`);
      parts.push(
        `<text x="${round(labelWidth + width + 6)}" y="${top + barHeight / 2}" class="value" dominant-baseline="central" data-figure="${escapeHtml(bar.figure)}">${escapeHtml(bar.text)}</text>`,
      );
    });
    y += groupHeight;
    if (row.note) {
      parts.push(`<text x="${labelWidth}" y="${y + 13}" class="note">${row.note}</text>`);
      y += NOTE_HEIGHT;
    }
    y += ROW_GAP;
  }
  return svg(options.title, y - ROW_GAP + 2, parts);
}

/** Stacked columns over time: one column per bucket, its segments bottom up in the order of `series`. */
export function stackedColumns(
  columns: { label: string; values: number[] }[],
  series: LegendItem[],
  options: { title: string; labelEvery: number },
): string {
  const left = 56;
  const right = 16;
  const top = LEGEND_HEIGHT + 10;
  const plotHeight = 200;
  const bottom = 28;
  const plotWidth = WIDTH - left - right;
  const max = 4 * tickStep(Math.max(...columns.map((c) => c.values.reduce((sum, v) => sum + v, 0))) / 4);
  const band = plotWidth / columns.length;
  const barWidth = Math.max(1, band * 0.72);
  const yOf = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const parts: string[] = [legend(series, left, 0)];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max / 4) * tick;
    const y = round(yOf(value));
    parts.push(`<line x1="${left}" x2="${WIDTH - right}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 8}" y="${y}" class="axis" text-anchor="end" dominant-baseline="central">${formatCount(value)}</text>`);
  }
  columns.forEach((column, i) => {
    const x = left + i * band + (band - barWidth) / 2;
    let base = 0;
    column.values.forEach((value, s) => {
      if (value <= 0) return;
      parts.push(`<rect x="${round(x)}" y="${round(yOf(base + value))}" width="${round(barWidth)}" height="${round((value / max) * plotHeight)}" fill="${series[s]!.color}"/>`);
      base += value;
    });
    if (i % options.labelEvery === 0) {
      parts.push(`<text x="${round(left + i * band + band / 2)}" y="${top + plotHeight + 18}" class="axis" text-anchor="middle">${escapeHtml(column.label)}</text>`);
    }
  });
  return svg(options.title, top + plotHeight + bottom, parts);
}

function legend(items: LegendItem[], x: number, y: number): string {
  let at = x;
  return items
    .map((item) => {
      const swatch = `<rect x="${at}" y="${y + 4}" width="12" height="12" rx="2" fill="${item.color}"/><text x="${at + 18}" y="${y + 10}" class="legend" dominant-baseline="central">${escapeHtml(item.label)}</text>`;
      at += 18 + item.label.length * 7.5 + 24;
      return swatch;
    })
    .join('');
}

function svg(title: string, height: number, parts: string[]): string {
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${round(height)}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg>`;
}

/** A whole 1, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, at or above `n`: the axis's ticks read as round numbers. */
function tickStep(n: number): number {
  const raw = Math.max(1, n);
  const power = 10 ** Math.floor(Math.log10(raw));
  return Math.ceil([1, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= raw)! * power);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
