import { describe, expect, it } from 'vitest';
import { redactPhoneNumbers } from '../privacy/redact-phone-numbers.ts';

describe('redactPhoneNumbers', () => {
  it('replaces anything that could be a phone number, however it is written', () => {
    expect(redactPhoneNumbers('Duplicate IDs found in batch input: [+971501234567, 050 123 4567, (212) 555-0100]')).toBe(
      'Duplicate IDs found in batch input: [[number], [number], [number]]',
    );
  });

  it('keeps the short numbers an error needs: codes, counts, line numbers', () => {
    expect(redactPhoneNumbers('HTTP 400, code 1009: 101 inputs, line 42')).toBe('HTTP 400, code 1009: 101 inputs, line 42');
  });
});
