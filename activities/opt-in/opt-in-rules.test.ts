import { describe, expect, it } from 'vitest';
import { classifyReply } from './reply-intent.ts';
import { contactLanguage } from './contact-language.ts';
import { quietUntil } from './quiet-hours.ts';
import { scriptCustomers, type ScriptedPerson } from '../../demo/customer-replies.ts';

describe('classifyReply', () => {
  it.each([
    'yes', 'Yes', 'YES', 'y', 'Y', 'yeah', 'yep', 'yes please', 'Yes, please!', 'ok yes', 'OK, yes 👍', '  yes.  ', 'Yes, thank you!',
    'да', 'Да, спасибо', 'так', 'sí', 'si', 'Sí, por favor', 'oui', 'Oui merci', 'ja', 'Ja bitte', 'evet', 'Evet lütfen',
    'sim', 'sì', 'tak', 'haan', 'हाँ', 'हां', 'ہاں', 'جی ہاں',
  ])('reads %j as yes', (reply) => {
    expect(classifyReply(reply)).toBe('yes');
  });

  it.each([
    'نعم', 'نَعَمْ', 'نعـــم', 'نعم!', 'نعم ✅', 'نعم، شكراً', 'شكرا نعم', '\u200fنعم\u200f',
    'ايوه', 'أيوه', 'إيوه', 'آيوه', 'ايوة', 'ايوا', 'اي', 'أي', 'أجل', 'موافق', 'موافقة', 'بلى',
  ])('reads the Arabic %j as yes', (reply) => {
    expect(classifyReply(reply)).toBe('yes');
  });

  it.each([
    'STOP', 'stop', 'Stop.', 'stop please', 'please stop', 'STOPALL', 'stop all', 'unsubscribe', 'cancel', 'end', 'quit',
    'optout', 'opt out', 'Opt-Out', 'توقف', 'توقف من فضلك', 'إلغاء', 'الغاء', 'إلغاء الاشتراك', 'إيقاف', 'ايقاف', 'قف',
    'стоп', 'СТОП', 'alto', 'baja', 'arrêt', 'arret', 'stopp', 'İPTAL', 'parar',
  ])('reads %j as STOP', (reply) => {
    expect(classifyReply(reply)).toBe('stop');
  });

  it('reads a reply holding both a yes and a STOP as STOP, the safe reading', () => {
    expect(classifyReply('yes stop')).toBe('stop');
    expect(classifyReply('STOP, yes')).toBe('stop');
    expect(classifyReply('نعم توقف')).toBe('stop');
  });

  it.each([
    'yes but not now', 'who is this?', 'no', 'yesterday', 'stopover', 'يس', 'ok', 'ok?', 'please', 'thanks', 'شكرا',
    'لا', 'لا أعرف', 'نعمة', 'кто это?', 'нет', 'yes?!maybe', 'yess', 'y e s', 'don’t stop me now', '👍', '', '   ', 'yes, who is this?',
  ])('leaves %j undecided', (reply) => {
    expect(classifyReply(reply)).toBe('undecided');
  });
});

describe('contactLanguage', () => {
  const available = ['en', 'ar', 'ru', 'uk', 'fr'];

  it("prefers the language set in the contact's Viber app", () => {
    expect(contactLanguage('AE', 'ru', available, 'en')).toBe('ru');
    expect(contactLanguage('GB', 'fr-BE', available, 'en')).toBe('fr');
    expect(contactLanguage(null, 'AR', available, 'en')).toBe('ar');
  });

  it("falls back to the country's main language, then to the campaign's default", () => {
    expect(contactLanguage('SA', null, available, 'en')).toBe('ar');
    expect(contactLanguage('eg', 'de', available, 'en')).toBe('ar');
    expect(contactLanguage('KZ', null, available, 'en')).toBe('ru');
    expect(contactLanguage('UA', null, available, 'en')).toBe('uk');
    expect(contactLanguage('SN', null, available, 'en')).toBe('fr');
    expect(contactLanguage('ES', null, available, 'en')).toBe('en');
    expect(contactLanguage('BE', null, available, 'ar')).toBe('ar');
    expect(contactLanguage(null, null, available, 'en')).toBe('en');
  });
});

describe('quietUntil', () => {
  const night = { start: '21:00', end: '08:00' };
  const at = (iso: string) => new Date(iso);

  it('lets a message go during the day and holds it at night until 08:00 local', () => {
    // Dubai is UTC+4 all year.
    expect(quietUntil('AE', at('2026-01-15T10:00:00Z'), night)).toBeNull();
    expect(quietUntil('AE', at('2026-01-15T16:59:59Z'), night)).toBeNull();
    expect(quietUntil('AE', at('2026-01-15T17:00:00Z'), night)).toEqual(at('2026-01-16T04:00:00Z'));
    expect(quietUntil('AE', at('2026-01-16T01:30:00Z'), night)).toEqual(at('2026-01-16T04:00:00Z'));
    expect(quietUntil('AE', at('2026-01-16T04:00:00Z'), night)).toBeNull();
  });

  it('keeps quiet hours that do not wrap midnight', () => {
    const lunch = { start: '13:00', end: '14:00' };
    expect(quietUntil('AE', at('2026-01-15T08:59:00Z'), lunch)).toBeNull();
    expect(quietUntil('AE', at('2026-01-15T09:30:00Z'), lunch)).toEqual(at('2026-01-15T10:00:00Z'));
    expect(quietUntil('AE', at('2026-01-15T20:00:00Z'), lunch)).toBeNull();
  });

  it('waits for every time zone of a country to be out of quiet hours', () => {
    // 08:30 in New York, but still night in Hawaii and Alaska: 08:00 in Honolulu (UTC-10) is 18:00 UTC.
    expect(quietUntil('US', at('2026-01-15T13:30:00Z'), night)).toEqual(at('2026-01-15T18:00:00Z'));
    // 20:30 in New York, 15:30 in Honolulu: everyone is awake.
    expect(quietUntil('US', at('2026-01-16T01:30:00Z'), night)).toBeNull();
    // 21:30 in New York: quiet until Honolulu's morning, when New York is awake again too.
    expect(quietUntil('US', at('2026-01-16T02:30:00Z'), night)).toEqual(at('2026-01-16T18:00:00Z'));
    // Russia, UTC+2 to UTC+12, shares only 06:00 to 09:00 UTC between Kaliningrad's morning and Kamchatka's evening.
    expect(quietUntil('RU', at('2026-03-10T12:00:00Z'), night)).toEqual(at('2026-03-11T06:00:00Z'));
    expect(quietUntil('RU', at('2026-03-10T07:00:00Z'), night)).toBeNull();
  });

  it("follows daylight saving time, even when the clocks change overnight", () => {
    expect(quietUntil('GB', at('2026-01-15T06:30:00Z'), night)).toEqual(at('2026-01-15T08:00:00Z'));
    expect(quietUntil('GB', at('2026-07-01T06:30:00Z'), night)).toEqual(at('2026-07-01T07:00:00Z'));
    // The UK moves to summer time at 01:00 UTC on 29 March 2026: 08:00 that morning is 07:00 UTC.
    expect(quietUntil('GB', at('2026-03-28T22:00:00Z'), night)).toEqual(at('2026-03-29T07:00:00Z'));
    expect(quietUntil('GB', at('2026-03-28T20:30:00Z'), night)).toBeNull();
  });

  it('takes a missing or unknown country to be on UTC', () => {
    expect(quietUntil(null, at('2026-01-15T22:00:00Z'), night)).toEqual(at('2026-01-16T08:00:00Z'));
    expect(quietUntil('XX', at('2026-01-15T22:00:00Z'), night)).toEqual(at('2026-01-16T08:00:00Z'));
  });

  it('answers for the present moment too, when a country is in quiet hours right now', () => {
    // Quiet hours from an hour ago to an hour ahead in Dubai (UTC+4), whatever the time is now.
    const now = new Date();
    const dubai = (offsetHours: number) => new Date(now.getTime() + (4 + offsetHours) * 3_600_000).toISOString().slice(11, 16);
    const until = quietUntil('AE', now, { start: dubai(-1), end: dubai(1) });
    const expected = Math.floor(now.getTime() / 60_000) * 60_000 + 3_600_000;
    expect(until?.getTime()).toBe(expected);
  });

  it('still picks a time for a country whose zones are never all awake together', () => {
    // 18:00 to 09:00 leaves nine waking hours, fewer than Russia's eleven-hour spread: the least-quiet moment wins.
    const until = quietUntil('RU', at('2026-03-10T12:00:00Z'), { start: '18:00', end: '09:00' });
    expect(until).not.toBeNull();
    expect(until!.getTime() - at('2026-03-10T12:00:00Z').getTime()).toBeLessThan(86_400_000);
  });
});

describe('scriptCustomers', () => {
  const languages = ['ar', 'en', 'ru', 'uk', 'es', 'fr', 'de', 'tr', 'pt', 'it', 'pl', 'hi', 'ur', 'xx'];
  const people: ScriptedPerson[] = Array.from({ length: 4000 }, (_, i) => {
    const e164 = `+9715${String(10_000_000 + i)}`;
    return { address: i % 3 === 0 ? `viber-${i}` : e164, e164, language: languages[i % languages.length]! };
  });

  it('gives the same customers for the same seed', () => {
    const first = scriptCustomers(people, { seed: 7 });
    const again = scriptCustomers(people, { seed: 7 });
    const other = scriptCustomers(people, { seed: 8 });
    expect([...again.scripts]).toEqual([...first.scripts]);
    expect([...other.scripts]).not.toEqual([...first.scripts]);
  });

  it('splits customers roughly as the mix says', () => {
    const { truth, scripts } = scriptCustomers(people, { seed: 1, mix: { yes: 0.4, yesAfterReminder: 0.2, stop: 0.1, noise: 0.1, silence: 0.2 } });
    expect(truth.yes.size + truth.stop.size + truth.undecided.size).toBe(people.length);
    expect(truth.yes.size / people.length).toBeCloseTo(0.6, 1);
    expect(truth.stop.size / people.length).toBeCloseTo(0.1, 1);
    const afterReminder = people.filter((p) => scripts.get(p.e164)!.answers[0] === null).length;
    expect(afterReminder / people.length).toBeCloseTo(0.2, 1);
    const onWhatsApp = people.filter((p) => scripts.get(p.e164)!.onWhatsApp).length;
    expect(onWhatsApp / people.length).toBeCloseTo(0.85, 1);
  });

  it('plays one script from both the address and the number', () => {
    const { scripts } = scriptCustomers(people, { seed: 2 });
    for (const person of people) expect(scripts.get(person.address)).toBe(scripts.get(person.e164));
    const twice = scriptCustomers([{ address: '+447700900001', e164: '+447700900001', language: 'en' }, { address: 'viber-a', e164: '+447700900001', language: 'en' }], { seed: 3 });
    expect(twice.scripts.get('viber-a')).toBe(twice.scripts.get('+447700900001'));
  });

  it('writes replies the classifier reads as their ground truth', () => {
    const { scripts, truth } = scriptCustomers(people, { seed: 4, maxDelayMs: 500 });
    const texts = new Set<string>();
    for (const person of people) {
      const answers = scripts.get(person.e164)!.answers.filter((answer) => answer !== null);
      for (const answer of answers) {
        texts.add(answer.text);
        expect(answer.delayMs).toBeGreaterThanOrEqual(0);
        expect(answer.delayMs).toBeLessThan(500);
        const expected = truth.yes.has(person.e164) ? 'yes' : truth.stop.has(person.e164) ? 'stop' : 'undecided';
        expect([answer.text, classifyReply(answer.text)]).toEqual([answer.text, expected]);
      }
      if (truth.undecided.has(person.e164)) expect(answers.length).toBeLessThanOrEqual(1);
    }
    // The writings vary: scripts, languages, capitals, emoji.
    expect(texts.size).toBeGreaterThan(150);
  });
});
