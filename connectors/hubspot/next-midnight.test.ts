import { describe, it, expect } from 'vitest';
import { nextMidnight } from './next-midnight.ts';

const at = (iso: string) => new Date(iso);

describe('the next midnight in a time zone, where HubSpot resets its daily limit', () => {
  it('is the start of the next local day, not of the next UTC day', () => {
    expect(nextMidnight(at('2025-03-10T22:30:00Z'), 'Asia/Dubai').toISOString()).toBe('2025-03-11T20:00:00.000Z');
    expect(nextMidnight(at('2025-03-10T22:30:00Z'), 'UTC').toISOString()).toBe('2025-03-11T00:00:00.000Z');
  });

  it('follows daylight saving time on either side of the change', () => {
    expect(nextMidnight(at('2025-03-09T03:00:00Z'), 'America/New_York').toISOString()).toBe('2025-03-09T05:00:00.000Z');
    expect(nextMidnight(at('2025-03-09T12:00:00Z'), 'America/New_York').toISOString()).toBe('2025-03-10T04:00:00.000Z');
  });

  it('is the first time that exists where the clocks skip midnight', () => {
    // Chile moved from 00:00 straight to 01:00 on 8 September 2024.
    expect(nextMidnight(at('2024-09-07T12:00:00Z'), 'America/Santiago').toISOString()).toBe('2024-09-08T04:00:00.000Z');
  });

  it('is a whole day away at midnight itself', () => {
    expect(nextMidnight(at('2025-03-11T00:00:00Z'), 'UTC').toISOString()).toBe('2025-03-12T00:00:00.000Z');
  });
});
