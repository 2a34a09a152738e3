import { describe, expect, it } from 'vitest';
import { classifyReply } from '../activities/opt-in/reply-intent.ts';
import { ARABIC_NAMES, LATIN_NAMES } from '../demo/customer-base.ts';
import { FakeNames } from './fake-name.ts';
import { FakeTexts } from './fake-text.ts';
import { PseudonymKey } from './pseudonym-key.ts';

const ARABIC = /\p{Script=Arabic}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const LATIN = /^[\p{Script=Latin}\s]+$/u;

describe('fake names', () => {
  it('keep the script and the shape of a name, the same fake for the same name, never the name itself', () => {
    const names = new FakeNames(new PseudonymKey());
    const cases: [string, RegExp][] = [
      ...ARABIC_NAMES.map((name) => [name, ARABIC] as [string, RegExp]),
      ...LATIN_NAMES.map((name) => [name, LATIN] as [string, RegExp]),
      ['Олена Шевченко', CYRILLIC],
      ['محمد', ARABIC],
      ['Jo', LATIN],
      ['Dr. María José García López', LATIN],
    ];
    const originalWords = new Set([...ARABIC_NAMES, ...LATIN_NAMES].flatMap((name) => name.split(' ')));
    for (const [name, script] of cases) {
      const fake = names.fake(name);
      expect(fake, name).toMatch(script);
      expect(fake).not.toBe(name);
      expect(fake.split(' ').length).toBe(name.split(' ').length === 1 ? 1 : 2);
      expect(names.fake(name)).toBe(fake);
      expect(fake.split(' ').filter((word) => originalWords.has(word)), `${name} → ${fake}`).toEqual([]);
    }
    expect(names.fake('  ')).toBe('  ');
  });

  it('differ from one copy to the next', () => {
    const [first, second] = [new FakeNames(new PseudonymKey()), new FakeNames(new PseudonymKey())];
    const names = Array.from({ length: 200 }, (_, i) => `Customer ${i}`);
    expect(names.filter((name) => first.fake(name) === second.fake(name)).length).toBeLessThan(20);
  });
});

describe('fake texts', () => {
  const texts = new FakeTexts(new PseudonymKey());

  it('keep a yes a yes and a STOP a STOP, in another word of the same script', () => {
    for (const reply of ['YES', 'yes please', 'Y', 'نعم', 'ايوه', 'да', 'oui', 'Evet lütfen', 'STOP', 'stop', 'unsubscribe', 'توقف', 'إلغاء الاشتراك', 'стоп']) {
      const fake = texts.fake(reply);
      expect(fake, reply).not.toBe(reply);
      expect(classifyReply(fake), `${reply} → ${fake}`).toBe(classifyReply(reply));
      expect(ARABIC.test(fake)).toBe(ARABIC.test(reply));
      expect(texts.fake(reply)).toBe(fake);
    }
  });

  it('make anything else Lorem ipsum of about its length, still undecided', () => {
    for (const reply of ['who is this?', 'yes but not now', 'مين معي؟', 'Please call me on +44 7400 123456 after 6pm, I am James Smith', 'no', 'ok?', 'x'.repeat(500)]) {
      const fake = texts.fake(reply);
      expect(fake, reply).not.toBe(reply);
      expect(classifyReply(fake)).toBe('undecided');
      expect(fake).toMatch(/^[A-Za-z ]+$/);
      expect(Math.abs(fake.length - reply.length), `${reply} → ${fake}`).toBeLessThanOrEqual(15);
      expect(texts.fake(reply)).toBe(fake);
    }
    expect(texts.fake('')).toBe('');
  });
});
