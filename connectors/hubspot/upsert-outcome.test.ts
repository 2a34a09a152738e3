import { describe, it, expect } from 'vitest';
import type { CrmContact } from '../crm-contact.ts';
import { UNIQUE_ID_PROPERTY } from './contact-mapping.ts';
import { outcomeOf } from './upsert-outcome.ts';

function contact(contactId: string, e164: string): CrmContact {
  const unknowns = { name: null, country: null, waId: null, consentAt: null, sourceChannels: [] };
  return { contactId, e164, whatsAppStatus: 'unknown', consent: 'unknown', ...unknowns };
}

describe('reading a batch upsert answer', () => {
  it('fails a contact HubSpot said nothing about, with a reason saying so, instead of dropping it', () => {
    const outcome = outcomeOf([contact('a', '+971501110001'), contact('b', '+971501110002')], {
      results: [{ id: '1001', properties: { [UNIQUE_ID_PROPERTY]: '+971501110001' }, new: true }],
    });

    expect(outcome).toEqual({
      written: [{ contactId: 'a', recordId: '1001', created: true }],
      failed: [{ contactId: 'b', reason: 'HubSpot reported neither a record nor an error for this contact' }],
      retryLater: [],
    });
  });

  it('passes on errors HubSpot tied to no contact, with numbers redacted', () => {
    const outcome = outcomeOf([contact('a', '+971501110001')], {
      errors: [{ message: 'Contact +971501110001 is locked' }],
    });

    expect(outcome.failed).toEqual([{ contactId: 'a', reason: expect.stringContaining('Contact [number] is locked') }]);
  });

  it('never counts a contact as written when HubSpot also reported an error for it', () => {
    const outcome = outcomeOf([contact('a', '+971501110001')], {
      results: [{ id: '1001', objectWriteTraceId: 'a' }],
      errors: [{ message: 'refused', context: { objectWriteTraceId: ['a'] } }],
    });

    expect(outcome.written).toEqual([]);
    expect(outcome.failed).toEqual([{ contactId: 'a', reason: 'refused' }]);
  });
});
