import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

const DIGITS = '0123456789';
const SHAPES = [DIGITS, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
/** A multiple of 10 and 26: one draw picks a digit or a letter without bias. */
const SHAPE_MODULUS = 130;

/**
 * The secret of one anonymised copy: drawn at random, held in memory and never stored or printed, so nobody (not
 * even whoever made the copy) can trace a pseudonym back to its original by hashing guesses. Every choice a copy
 * makes is a keyed hash of the original, so the same original gets the same pseudonym throughout the copy.
 */
export class PseudonymKey {
  readonly #secret: KeyObject;

  constructor(secret: Buffer = randomBytes(32)) {
    // A key object once, not the bytes each time: a third of the cost of every hash.
    this.#secret = createSecretKey(secret);
  }

  /** 32 bytes for `value` in one use (`purpose`), and another 32 for each further `attempt`. */
  bytes(purpose: string, value: string, attempt = 0): Buffer {
    return createHmac('sha256', this.#secret).update(`${purpose}\u0000${attempt}\u0000${value}`).digest();
  }

  /** `count` characters drawn from `alphabet` (at most 256 of them). */
  characters(purpose: string, value: string, count: number, alphabet: string = DIGITS, attempt = 0): string {
    return this.#draw(purpose, value, count, alphabet.length, attempt).map((n) => alphabet[n]).join('');
  }

  /** One of `choices`, by the keyed hash of `value`. */
  pick<T>(purpose: string, value: string, choices: readonly T[], attempt = 0): T {
    return choices[this.bytes(purpose, value, attempt).readUInt32BE(0) % choices.length]!;
  }

  /** `value` with each digit and letter replaced by a keyed one of its kind (digit, lower or upper case), the rest kept. */
  sameShape(purpose: string, value: string, attempt = 0): string {
    const drawn = this.#draw(purpose, value, value.length, SHAPE_MODULUS, attempt);
    let shaped = '';
    for (let at = 0; at < value.length; at++) {
      const shape = SHAPES.find((letters) => letters.includes(value[at]!));
      shaped += shape ? shape[drawn[at]! % shape.length] : value[at];
    }
    return shaped;
  }

  /** `count` numbers below `modulus`, without bias: bytes that would favour the small ones are skipped. */
  #draw(purpose: string, value: string, count: number, modulus: number, attempt: number): number[] {
    const limit = 256 - (256 % modulus);
    const drawn: number[] = [];
    for (let block = 0; drawn.length < count; block++) {
      for (const byte of this.bytes(purpose, value, attempt * 1024 + block)) {
        if (byte >= limit) continue;
        drawn.push(byte % modulus);
        if (drawn.length === count) break;
      }
    }
    return drawn;
  }
}
