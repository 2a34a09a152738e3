import { getCountry } from 'countries-and-timezones';

/** Local wall-clock times, "HH:MM"; a start after the end wraps midnight (21:00 to 08:00). */
export interface QuietHours {
  start: string;
  end: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
// The search looks this far ahead: quiet hours repeat daily, so the answer is always within a day.
const HORIZON = 36 * 3_600_000;

// Quiet hours start and end on whole minutes in every zone, so one answer holds for a whole minute.
const answers = { minute: Number.NaN, byCountry: new Map<string, number | null>() };
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * When a message to a contact in `country` may go out: null for now, or the earliest instant at which none of the
 * country's time zones is in quiet hours (a country spanning zones, like the US or Russia, is quiet while any
 * of them is). A missing or unknown country is taken to be on UTC. Where a country's zones are never all out of
 * quiet hours together (Antarctica, or long quiet hours across Russia's eleven), it is the earliest instant at
 * which the fewest of them are.
 */
export function quietUntil(country: string | null, now: Date, quiet: QuietHours): Date | null {
  const minute = Math.floor(now.getTime() / MINUTE) * MINUTE;
  if (minute !== answers.minute) {
    answers.minute = minute;
    answers.byCountry.clear();
  }
  const key = `${country}|${quiet.start}|${quiet.end}`;
  let answer = answers.byCountry.get(key);
  if (answer === undefined) {
    answer = leastQuietInstant(zonesOf(country), minute, quiet);
    answers.byCountry.set(key, answer);
  }
  return answer === null ? null : new Date(answer);
}

function zonesOf(country: string | null): readonly string[] {
  const zones = country ? getCountry(country.trim().toUpperCase())?.timezones : undefined;
  return zones?.length ? zones : ['UTC'];
}

/** Sweeps the zones' quiet spells from `from` on: the first instant the fewest zones are quiet, null if that is `from`. */
function leastQuietInstant(zones: readonly string[], from: number, quiet: QuietHours): number | null {
  const changes: [at: number, step: number][] = [];
  let quietZones = 0;
  for (const zone of zones) {
    for (const [start, end] of quietSpells(zone, from, quiet)) {
      if (end <= from) continue;
      if (start <= from) quietZones++;
      else changes.push([start, 1]);
      changes.push([end, -1]);
    }
  }
  changes.sort((a, b) => a[0] - b[0]);
  let least = { at: from, quietZones };
  for (let i = 0; i < changes.length && least.quietZones > 0 && changes[i]![0] < from + HORIZON; ) {
    const at = changes[i]![0];
    for (; i < changes.length && changes[i]![0] === at; i++) quietZones += changes[i]![1];
    if (quietZones < least.quietZones) least = { at, quietZones };
  }
  return least.at === from ? null : least.at;
}

/** The zone's quiet spells as UTC instants, from the local day before `from` to two days after it. */
function quietSpells(zone: string, from: number, quiet: QuietHours): [start: number, end: number][] {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  const today = Math.floor((from + offset(zone, from)) / DAY) * DAY;
  const spells: [number, number][] = [];
  for (let day = today - DAY; day <= today + 2 * DAY; day += DAY) {
    const endDay = end > start ? day : day + DAY;
    spells.push([instantOf(zone, day + start * MINUTE), instantOf(zone, endDay + end * MINUTE)]);
  }
  return spells;
}

/** The instant a wall-clock time (written as if it were UTC) happens in `zone`, DST included. */
function instantOf(zone: string, wallClock: number): number {
  return wallClock - offset(zone, wallClock - offset(zone, wallClock));
}

/** How far ahead of UTC the zone's clocks are at `instant`, in milliseconds, as the platform's time zone data says. */
function offset(zone: string, instant: number): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formats.set(zone, format);
  }
  const part = Object.fromEntries(format.formatToParts(instant).map(({ type, value }) => [type, Number(value)]));
  const wallClock = Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!);
  return wallClock - Math.floor(instant / MINUTE) * MINUTE;
}

function minutes(time: string): number {
  const [hours, mins] = time.split(':').map(Number);
  return hours! * 60 + mins!;
}
