const HOUR_MS = 3_600_000;

/**
 * The first instant after `after` that falls on the next calendar day in `timeZone` (an IANA name): where HubSpot
 * resets its daily limit, at midnight in the account's time zone. Where a clock change skips midnight, that
 * day starts at the first time that exists (01:00 in Santiago on a spring-forward day).
 */
export function nextMidnight(after: Date, timeZone: string): Date {
  const dayOf = calendarDay(timeZone);
  const today = dayOf(after.getTime());
  // A local day lasts at most 25 hours, so the next one has begun within 48: search between the two.
  let stillToday = after.getTime();
  let tomorrow = stillToday + 48 * HOUR_MS;
  while (tomorrow - stillToday > 1) {
    const middle = Math.floor((stillToday + tomorrow) / 2);
    if (dayOf(middle) > today) tomorrow = middle;
    else stillToday = middle;
  }
  return new Date(tomorrow);
}

/** Throws a RangeError for a name Intl does not know, so a misspelt setting fails when the client is made. */
export function calendarDay(timeZone: string): (epochMs: number) => string {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return (epochMs) => {
    const parts = Object.fromEntries(format.formatToParts(epochMs).map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}
