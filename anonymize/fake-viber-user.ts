import type { PseudonymKey } from './pseudonym-key.ts';

/**
 * Fake Viber user ids for one anonymised copy: the same shape (digits for digits, letters of the same case, `=`
 * and `/` and `+` kept), unique within the copy, never the original nor another real id of the data.
 */
export class FakeViberUsers {
  readonly #key: PseudonymKey;
  /** Every original met, with its fake once drawn: an avoided id waits here without one. */
  readonly #fakes = new Map<string, string | null>();
  readonly #given = new Set<string>();

  constructor(key: PseudonymKey) {
    this.#key = key;
  }

  /** A real id of the data, before any fake is drawn: no fake will be it. */
  avoid(userId: string): void {
    if (!this.#fakes.has(userId)) this.#fakes.set(userId, null);
  }

  get size(): number {
    return this.#given.size;
  }

  /** Whether `value` is an id this copy has already given a fake. */
  has(value: string): boolean {
    return (this.#fakes.get(value) ?? null) !== null;
  }

  fake(userId: string): string {
    const known = this.#fakes.get(userId);
    if (known) return known;
    // An id with nothing to vary (all marks) is kept; any other gets a free fake.
    if (!/[0-9A-Za-z]/.test(userId)) return userId;
    // Met before drawing, so the draw cannot give the id itself.
    this.avoid(userId);
    for (let attempt = 0; ; attempt++) {
      const fake = this.#key.sameShape('viber', userId, attempt);
      if (this.#fakes.has(fake) || this.#given.has(fake)) continue;
      this.#fakes.set(userId, fake);
      this.#given.add(fake);
      return fake;
    }
  }
}
