/**
 * Plivo's timestamps. Filters take `YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`, read as UTC; message records carry the
 * same with the account's UTC offset appended (`2017-05-22 21:36:14+05:30`). Both have microseconds, more
 * than a `Date` holds, so instants are compared as microseconds since the epoch.
 */

const timePattern = (separator: string, offset: string): RegExp =>
  new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})${separator}(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?${offset}$`);
const FILTER_TIME = timePattern(' ', '');
const MESSAGE_TIME = timePattern('[ T]', String.raw`(Z|[+-]\d{2}(?::?\d{2})?)?`);

/** A filter value as Plivo accepts it, in microseconds since the epoch; null when Plivo would refuse it. */
export function parseFilterTime(text: string): number | null {
  const match = FILTER_TIME.exec(text);
  return match === null ? null : epochMicros(match, undefined);
}

/** A record's `message_time` in microseconds since the epoch (no offset: UTC); null when it is not a time. */
export function parseMessageTime(text: string): number | null {
  const match = MESSAGE_TIME.exec(text);
  return match === null ? null : epochMicros(match, match[8]);
}

/** A `Date` as a filter value, to the microsecond Plivo's format allows. */
export function formatFilterTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

function epochMicros(match: RegExpExecArray, offset: string | undefined): number | null {
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(match[6] ?? 0);
  const fraction = (match[7] ?? '').padEnd(6, '0');
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(millis);
  // Date.UTC rolls 2025-02-30 over to March; a calendar that does not have the day is not a time.
  const sameFields =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  if (!sameFields) return null;
  const offsetMinutes = offsetInMinutes(offset);
  if (offsetMinutes === null) return null;
  return (millis - offsetMinutes * 60_000) * 1000 + Number(fraction);
}

function offsetInMinutes(offset: string | undefined): number | null {
  if (offset === undefined || offset === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return null;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
