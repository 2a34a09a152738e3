import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../activities/clean/normalize-phone.ts';

describe('normalizePhone', () => {
  it.each([
    ['050 123 4567', 'AE', '+971501234567', 'mobile'],
    ['+971 50 123 4567', null, '+971501234567', 'mobile'],
    ['٠٥٠١٢٣٤٥٦٧', 'AE', '+971501234567', 'mobile'],
    ['00971501234567', 'AE', '+971501234567', 'mobile'],
    ['0012018136984', 'US', '+12018136984', 'fixed_line_or_mobile'],
    ['\u200E+966 55 123 4567', 'SA', '+966551234567', 'mobile'],
    ['tel:+201001234567', null, '+201001234567', 'mobile'],
    ['+44\u00A020 7946 0958', 'GB', '+442079460958', 'fixed_line'],
    // Also a valid German landline as written; the MSISDN reading is the one that takes messages.
    ['4915181622584', 'DE', '+4915181622584', 'mobile'],
    ['971501234567', 'AE', '+971501234567', 'mobile'],
    ['+971 050 123 4567', 'AE', '+971501234567', 'mobile'],
    ['(+44) 07911 123456', null, '+447911123456', 'mobile'],
    ['0055 11 97362 3034', 'BR', '+5511973623034', 'mobile'],
    ['009 1 631 731 0596', 'NG', '+16317310596', 'fixed_line_or_mobile'],
  ])('reads %j in %s as %s', (raw, region, e164, lineType) => {
    expect(normalizePhone(raw, region)).toMatchObject({ accepted: true, e164, lineType });
  });

  it.each([
    [null, 'AE', 'empty'],
    ['  ', 'AE', 'empty'],
    ['n/a', 'AE', 'not_a_number'],
    ['12', 'AE', 'too_short'],
    ['123456789012345678', 'DE', 'too_long'],
    ['0501234567', null, 'invalid_country'],
    ['0501234567', 'XX', 'invalid_country'],
    ['+999 1234 5678', null, 'invalid_country'],
    ['0000000000', 'AE', 'invalid_for_region'],
    // 009 is Nigeria's own international prefix, 00 everyone else's: +1 631… or +91 631…, and no grouping says which.
    ['00916317310596', 'NG', 'ambiguous'],
  ])('rejects %j in %s as %s', (raw, region, reason) => {
    expect(normalizePhone(raw, region)).toEqual({ accepted: false, reason });
  });
});
