import { classifyReply, type ReplyIntent } from '../activities/opt-in/reply-intent.ts';
import type { PseudonymKey } from './pseudonym-key.ts';

const LOREM = (
  'Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna ' +
  'aliqua Ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat '
).split(' ').filter(Boolean);

// A decision is kept as a decision: the copy's replies read as the same yes or STOP (see reply-intent.ts).
const DECISIONS: Record<Exclude<ReplyIntent, 'undecided'>, { arabic: readonly string[]; latin: readonly string[] }> = {
  yes: { arabic: ['نعم', 'موافق', 'أجل', 'نعم شكرا'], latin: ['yes', 'Yes please', 'ok yes', 'YES', 'yes thanks'] },
  stop: { arabic: ['توقف', 'إلغاء', 'إيقاف'], latin: ['STOP', 'stop please', 'unsubscribe', 'Stop'] },
};

const ARABIC_LETTER = /\p{Script=Arabic}/u;

/**
 * Fake message texts for one anonymised copy. A reply that reads as a yes or a STOP becomes another yes or STOP
 * (Arabic for Arabic), so the copy's replies decide what the originals decided; any other text becomes Lorem
 * ipsum of about its length. The same text gets the same fake throughout the copy, and never itself.
 */
export class FakeTexts {
  readonly #key: PseudonymKey;

  constructor(key: PseudonymKey) {
    this.#key = key;
  }

  fake(text: string): string {
    if (text === '') return text;
    const intent = classifyReply(text);
    for (let attempt = 0; ; attempt++) {
      const fake = intent === 'undecided' ? this.#lorem(text, attempt) : this.#decision(text, intent, attempt);
      if (fake !== text) return fake;
    }
  }

  #decision(text: string, intent: Exclude<ReplyIntent, 'undecided'>, attempt: number): string {
    const words = DECISIONS[intent];
    return this.#key.pick('decision', text, ARABIC_LETTER.test(text) ? words.arabic : words.latin, attempt);
  }

  /** Lorem ipsum from a keyed word on, cut to the text's length (at least a word). */
  #lorem(text: string, attempt: number): string {
    let at = this.#key.bytes('lorem', text, attempt).readUInt32BE(0) % LOREM.length;
    let placeholder = '';
    while (placeholder.length < text.length) {
      placeholder += (placeholder === '' ? '' : ' ') + LOREM[at]!;
      at = (at + 1) % LOREM.length;
    }
    return placeholder.length > text.length + 4 && placeholder.includes(' ') ? placeholder.slice(0, placeholder.lastIndexOf(' ')) : placeholder;
  }
}
