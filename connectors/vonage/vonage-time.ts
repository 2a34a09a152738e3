// Vonage writes `2019-06-28T15:30:00+0000` in records and accepts `±hh:mm`, `±hhmm` or `Z` in queries; report
// files have been seen with a space for the `T` and no zone, which Vonage means as UTC.
const VONAGE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A time as Vonage writes one, or null when the text is not one (a date that does not exist included). */
export function parseVonageTime(text: string): Date | null {
  const match = VONAGE_TIME.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const milliseconds = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const zone = (match[8] ?? 'Z').toUpperCase();
  const zoneMinutes = zone === 'Z' ? 0 : Number(zone.slice(-2));
  const offsetMinutes = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + zoneMinutes);
  const asUtc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  // Date.UTC rolls 30 February over into March; a day that does not exist is not a time.
  const exists =
    asUtc.getUTCFullYear() === year && asUtc.getUTCMonth() === month - 1 && asUtc.getUTCDate() === day &&
    hour < 24 && minute < 60 && second < 60 && zoneMinutes < 60;
  return exists ? new Date(asUtc.getTime() - offsetMinutes * 60_000) : null;
}

/** The form Vonage writes times in: UTC, seconds, `+0000`. */
export function formatVonageTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, '+0000');
}
