import type { PseudonymKey } from './pseudonym-key.ts';

interface NameList {
  given: readonly string[];
  family: readonly string[];
}

// Small lists per script. None of their words is in the demo's customer base, so a test can tell a fake from a customer.
const ARABIC: NameList = {
  given: ['سلمى', 'كريم', 'هالة', 'طارق', 'رنا', 'زياد', 'دينا', 'وليد', 'سارة', 'ماجد', 'لينا', 'باسم', 'هند', 'نادر', 'ريم', 'جمال'],
  family: ['الشامي', 'القاسم', 'النجار', 'الحداد', 'البيطار', 'العطار', 'الخطيب', 'الصباغ', 'الحلبي', 'السقا', 'الدباغ', 'الفارس'],
};
const CYRILLIC: NameList = {
  given: ['Алина', 'Богдан', 'Вера', 'Глеб', 'Дарина', 'Егор', 'Зоя', 'Илья', 'Ксения', 'Роман'],
  family: ['Ковальчук', 'Мельник', 'Бондаренко', 'Ткаченко', 'Савченко', 'Кравец', 'Лысенко', 'Гончар'],
};
const LATIN: NameList = {
  given: ['Alex', 'Robin', 'Sam', 'Jordan', 'Casey', 'Taylor', 'Morgan', 'Jamie', 'Avery', 'Riley', 'Quinn', 'Harper', 'Elena', 'Marco', 'Ingrid', 'Tomas', 'Nadia', 'Felix'],
  family: ['Lindqvist', 'Moreau', 'Novak', 'Okafor', 'Rossi', 'Santos', 'Varga', 'Weber', 'Brennan', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Horvat', 'Jansen', 'Keller'],
};

const ARABIC_LETTER = /\p{Script=Arabic}/u;
const CYRILLIC_LETTER = /\p{Script=Cyrillic}/u;

/**
 * Fake names for one anonymised copy, in the original's script (Arabic names become Arabic fakes, Cyrillic ones
 * Cyrillic, any other Latin), a given name alone for a one-word name and a given and a family name otherwise. The
 * same original gets the same fake throughout the copy, by the copy's keyed hash, with no table kept; a fake is
 * never its original.
 */
export class FakeNames {
  readonly #key: PseudonymKey;

  constructor(key: PseudonymKey) {
    this.#key = key;
  }

  fake(name: string): string {
    const trimmed = name.trim();
    if (trimmed === '') return name;
    const list = ARABIC_LETTER.test(trimmed) ? ARABIC : CYRILLIC_LETTER.test(trimmed) ? CYRILLIC : LATIN;
    const words = trimmed.split(/\s+/).length;
    for (let attempt = 0; ; attempt++) {
      const given = this.#key.pick('given-name', trimmed, list.given, attempt);
      const fake = words === 1 ? given : `${given} ${this.#key.pick('family-name', trimmed, list.family, attempt)}`;
      if (fake !== trimmed) return fake;
    }
  }
}
