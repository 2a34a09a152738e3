import { describe, expect, it } from 'vitest';
import { cohortBucket, cohortOf } from './cohorts.ts';
import { fallbackDue, sendingDecision, type PolicyFacts } from './sending-policy.ts';
import { personalize } from './personalize.ts';
import { rolloutInputProblems, scenariosByStage, type ScenarioRolloutInput } from '../../workflows/scenario-rollout-input.ts';

const now = new Date('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const consenting: PolicyFacts = { cohortChannel: 'whatsapp', consent: 'granted', whatsAppState: 'active', lastWhatsAppInboundAt: null, hasSessionForm: true, now };

describe('sendingDecision', () => {
  it('sends the template to a consenting contact who has not written on WhatsApp in the last 24 hours', () => {
    expect(sendingDecision(consenting)).toEqual({ channel: 'whatsapp', form: 'template', reason: 'outside-window' });
    expect(sendingDecision({ ...consenting, lastWhatsAppInboundAt: hoursAgo(25) })).toMatchObject({ form: 'template' });
  });

  it('sends free-form only inside the 24-hour window, and only when the scenario has a free-form message', () => {
    expect(sendingDecision({ ...consenting, lastWhatsAppInboundAt: hoursAgo(2) })).toEqual({ channel: 'whatsapp', form: 'session', reason: 'inside-window' });
    expect(sendingDecision({ ...consenting, lastWhatsAppInboundAt: hoursAgo(23.9) })).toMatchObject({ form: 'session' });
    expect(sendingDecision({ ...consenting, lastWhatsAppInboundAt: hoursAgo(24) })).toMatchObject({ form: 'template' });
    expect(sendingDecision({ ...consenting, lastWhatsAppInboundAt: hoursAgo(2), hasSessionForm: false })).toMatchObject({ form: 'template' });
  });

  it('keeps contacts without consent, or known not to be on WhatsApp, on their old channel', () => {
    expect(sendingDecision({ ...consenting, consent: null })).toEqual({ channel: 'old', reason: 'no-consent' });
    expect(sendingDecision({ ...consenting, whatsAppState: 'not_on_whatsapp' })).toEqual({ channel: 'old', reason: 'not-on-whatsapp' });
    expect(sendingDecision({ ...consenting, cohortChannel: 'old' })).toEqual({ channel: 'old', reason: 'cohort' });
    // A contact who has not been welcomed yet, or whose welcome failed otherwise, may still be reached.
    expect(sendingDecision({ ...consenting, whatsAppState: null })).toMatchObject({ channel: 'whatsapp' });
  });

  it('sends nothing anywhere after a STOP', () => {
    expect(sendingDecision({ ...consenting, consent: 'withdrawn' })).toEqual({ channel: 'none', reason: 'withdrawn' });
    expect(sendingDecision({ ...consenting, consent: 'withdrawn', cohortChannel: 'old' })).toEqual({ channel: 'none', reason: 'withdrawn' });
  });
});

describe('fallbackDue', () => {
  const sent = { sentAt: hoursAgo(1), deliveredAt: null, failedAt: null, errorCode: null };
  it('falls back on 131026 and 131047 at once, and on silence once the timeout passed', () => {
    expect(fallbackDue({ ...sent, failedAt: now, errorCode: 131026 }, 3_600_000 * 5, now)).toEqual({ due: true });
    expect(fallbackDue({ ...sent, failedAt: now, errorCode: 131047 }, 3_600_000 * 5, now)).toEqual({ due: true });
    expect(fallbackDue(sent, 3_600_000, now)).toEqual({ due: true });
    expect(fallbackDue(sent, 2 * 3_600_000, now)).toEqual({ due: false, recheckAt: now.getTime() + 3_600_000 });
  });
  it('leaves delivered messages and other failures alone', () => {
    expect(fallbackDue({ ...sent, deliveredAt: now, failedAt: now, errorCode: 131026 }, 1, now)).toEqual({ due: false, recheckAt: null });
    expect(fallbackDue({ ...sent, failedAt: now, errorCode: 131049 }, 1, now)).toEqual({ due: false, recheckAt: null });
  });
});

describe('cohorts', () => {
  it('puts the same contact in the same bucket every time, and spreads contacts evenly', () => {
    expect(cohortBucket('spring', '42')).toBe(cohortBucket('spring', 42));
    const counts = new Array(100).fill(0);
    for (let id = 1; id <= 20_000; id++) counts[cohortBucket('spring', id)]++;
    expect(Math.min(...counts)).toBeGreaterThan(140);
    expect(Math.max(...counts)).toBeLessThan(260);
    // Another rollout shuffles anew.
    const same = Array.from({ length: 1000 }, (_, id) => cohortBucket('spring', id) === cohortBucket('autumn', id)).filter(Boolean).length;
    expect(same).toBeLessThan(30);
  });

  it('maps buckets to cohorts by their percents, in the order the config lists them', () => {
    const cohorts = [
      { name: 'wa', channel: 'whatsapp' as const, percent: 20 },
      { name: 'control', channel: 'old' as const, percent: 80 },
    ];
    expect(cohortOf(0, cohorts).name).toBe('wa');
    expect(cohortOf(19, cohorts).name).toBe('wa');
    expect(cohortOf(20, cohorts).name).toBe('control');
    expect(cohortOf(99, cohorts).name).toBe('control');
  });
});

describe('rollout input', () => {
  const scenario = {
    id: 'newsletter',
    stage: 'non-critical',
    whatsApp: { template: { name: 'monthly_news', language: 'en', variables: [{ field: 'first_name', ifMissing: 'there' }] } },
    oldChannel: { text: 'Hi {{first_name}}, our news is out.' },
    cohorts: [
      { name: 'wa', channel: 'whatsapp', percent: 50 },
      { name: 'control', channel: 'old', percent: 50 },
    ],
    fallback: { to: 'old-channel', deliveryTimeout: '10 minutes' },
  };
  const input = { rolloutId: 'spring', migrationId: 'm1', scenarios: [scenario] };

  it('accepts a documented config', () => {
    expect(rolloutInputProblems(input)).toEqual([]);
  });

  it('names every problem with its field', () => {
    const broken = {
      ...input,
      scenarios: [
        { ...scenario, stage: 'urgent', cohorts: [{ name: 'wa', channel: 'whatsapp', percent: 60 }, { name: 'control', channel: 'old', percent: 30 }] },
        { ...scenario, fallback: { to: 'email', deliveryTimeout: 'soon' }, whatsApp: { template: { name: 'Bad Name', language: 'english' } } },
      ],
    };
    expect(rolloutInputProblems(broken)).toEqual([
      'scenarios[0].stage: one of "non-critical", "standard", "critical"',
      'scenarios[0].cohorts: the percents add up to 90, not 100',
      'scenarios[1].id: "newsletter" is used twice',
      'scenarios[1].whatsApp.template.name: an approved template name (a-z, 0-9, _)',
      'scenarios[1].whatsApp.template.language: a language code like "en" or "en_US"',
      'scenarios[1].fallback.to: "old-channel" or "none"',
      'scenarios[1].fallback.deliveryTimeout: a duration like "10 minutes" or "30s"',
    ]);
    expect(rolloutInputProblems({ rolloutId: 'Spring!', scenarios: [] })).toEqual([
      'rolloutId: 1 to 63 characters of a-z, 0-9, "-" and "_"',
      'migrationId: the migration whose contacts the rollout reaches',
      'scenarios: a list of at least one scenario',
    ]);
  });

  it('runs non-critical scenarios first and critical ones last', () => {
    const stages = scenariosByStage([
      { id: 'pay', stage: 'critical' },
      { id: 'news', stage: 'non-critical' },
      { id: 'promo', stage: 'non-critical' },
    ] as ScenarioRolloutInput['scenarios']);
    expect(stages.map((group) => group.map((s) => s.id))).toEqual([['news', 'promo'], ['pay']]);
  });
});

describe('personalize', () => {
  it('fills in the contact fields and leaves no gap where one is missing', () => {
    expect(personalize('Hi {{first_name}}, your bill is ready.', { name: 'Amal Haddad', country: 'AE' })).toBe('Hi Amal, your bill is ready.');
    expect(personalize('Hi {{first_name}}, your bill is ready.', { name: null, country: null })).toBe('Hi, your bill is ready.');
    expect(personalize('Hi [First Name] from %country%, order {order_id} is ready.', { name: 'Amal Haddad', country: 'AE' })).toBe('Hi Amal from AE, order {order_id} is ready.');
  });
});
