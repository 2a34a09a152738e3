import { hash } from 'node:crypto';

/**
 * Stable ids for a file's rows: the sha256 of the values in header order (32 hex digits), then `#n` for the
 * n-th row of the file with those values. Re-reading an unchanged file gives the same ids; duplicates differ.
 */
export class RowFingerprints {
  readonly #seen = new SeenDigests();
  /** Occurrences of the values seen more than once, by their hex digest: duplicates are few. */
  readonly #repeats = new Map<string, number>();

  next(values: readonly string[]): string {
    const digest = hash('sha256', JSON.stringify(values), 'buffer');
    const hex = digest.toString('hex', 0, 16);
    if (this.#seen.add(digest.readUInt32BE(0), digest.readUInt32BE(4))) return `${hex}#1`;
    const occurrence = (this.#repeats.get(hex) ?? 1) + 1;
    this.#repeats.set(hex, occurrence);
    return `${hex}#${occurrence}`;
  }
}

/**
 * The 64-bit heads of every digest seen, in an open-addressing table outside the JS heap: 8 bytes a slot, at
 * most three quarters full, so 11 to 21 bytes a distinct row. A Map of strings would take several times that
 * and stops at 2^24 entries, fewer than the rows of a 1 GB file. Two different rows sharing a head only
 * miscount `n` for the later one (odds ~1e-5 at 20 million rows); its id stays distinct and stable, since the
 * id holds 128 bits of the digest.
 */
class SeenDigests {
  #slots = new Uint32Array(2 << 16);
  #size = 0;

  /** Whether the digest head is new; remembers it. */
  add(high: number, low: number): boolean {
    const lowKey = low === 0 && high === 0 ? 1 : low; // all zeros marks an empty slot
    if (!this.#insert(this.#slots, high, lowKey)) return false;
    this.#size++;
    if (this.#size * 4 > (this.#slots.length / 2) * 3) this.#grow();
    return true;
  }

  #insert(slots: Uint32Array, high: number, low: number): boolean {
    const mask = slots.length / 2 - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const storedHigh = slots[2 * slot]!;
      const storedLow = slots[2 * slot + 1]!;
      if (storedHigh === 0 && storedLow === 0) {
        slots[2 * slot] = high;
        slots[2 * slot + 1] = low;
        return true;
      }
      if (storedHigh === high && storedLow === low) return false;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot] !== 0 || old[slot + 1] !== 0) this.#insert(this.#slots, old[slot]!, old[slot + 1]!);
    }
  }
}
