import type { CustomerScript } from '../connectors/emulated-customers.ts';
import { seededRandom } from '../connectors/seeded-random.ts';

/** A customer the campaign will write to: where the notice reaches them, their number, and the language they write in. */
export interface ScriptedPerson {
  /** An E.164 number for SMS, a Viber user id for Viber. */
  address: string;
  e164: string;
  language: string;
}

/** Shares of the customers (any positive weights; they need not add up to 1). */
export interface ReplyMix {
  /** Answer the notice with a yes. */
  yes: number;
  /** Say nothing to the notice and yes to the reminder. */
  yesAfterReminder: number;
  /** Answer the notice with a STOP. */
  stop: number;
  /** Answer the notice with something that is neither ("who is this?"), then nothing. */
  noise: number;
  /** Never answer. */
  silence: number;
}

export interface CustomerRepliesOptions {
  seed: number;
  mix?: ReplyMix;
  /** Share of the numbers that have WhatsApp. Default 0.85. */
  onWhatsAppShare?: number;
  /** Replies come up to this long after the message. Default 2000. */
  maxDelayMs?: number;
}

/** The scripts for the emulators, and what the consent ledger must end with, by E.164 number. */
export interface CustomerReplies {
  /** By address, and by E.164 number for `onWhatsApp`; an SMS customer's two keys are the same string. */
  scripts: Map<string, CustomerScript>;
  truth: { yes: Set<string>; stop: Set<string>; undecided: Set<string> };
}

export const defaultReplyMix: ReplyMix = { yes: 0.45, yesAfterReminder: 0.15, stop: 0.1, noise: 0.1, silence: 0.2 };

/** How people answer, by language: yes and STOP the way people write them, and replies that are neither. */
const REPLIES: Record<string, { yes: string[]; stop: string[]; noise: string[] }> = {
  en: {
    yes: ['Yes', 'yes please', 'Y', 'yeah', 'yep', 'ok yes', 'Yes, thanks'],
    stop: ['STOP', 'stop', 'Stop please', 'unsubscribe', 'STOPALL', 'cancel', 'opt out', 'quit', 'end'],
    noise: ['who is this?', 'ok?', 'what?', 'no', 'yes but not now', 'Yesterday?', 'maybe later', 'stopover in Dubai?'],
  },
  ar: {
    yes: ['نعم', 'ايوه', 'أيوه', 'إيوه', 'ايوة', 'نعم شكراً', 'أجل', 'موافق', 'اي', 'نعم، من فضلك', 'نَعَم'],
    stop: ['توقف', 'إلغاء', 'الغاء', 'إيقاف', 'ايقاف', 'قف', 'توقف من فضلك', 'إلغاء الاشتراك'],
    noise: ['لا أعرف', 'من أنت؟', 'مين معي؟', 'لا', 'يس', 'ربما لاحقاً'],
  },
  ru: { yes: ['да', 'Да', 'да, спасибо', 'Да пожалуйста'], stop: ['стоп', 'СТОП', 'отписаться'], noise: ['кто это?', 'что?', 'нет', 'может быть'] },
  uk: { yes: ['так', 'Так', 'так, дякую'], stop: ['стоп', 'Стоп', 'відписатися'], noise: ['хто це?', 'ні'] },
  es: { yes: ['sí', 'Si', 'sí, por favor', 'Sí gracias'], stop: ['alto', 'BAJA', 'stop'], noise: ['¿quién es?', 'no'] },
  fr: { yes: ['oui', 'Oui merci', "oui s'il vous plaît"], stop: ['arrêt', 'STOP', 'arret'], noise: ["c'est qui ?", 'non'] },
  de: { yes: ['ja', 'Ja bitte', 'ja, danke'], stop: ['stopp', 'STOP', 'abmelden'], noise: ['wer ist das?', 'nein'] },
  tr: { yes: ['evet', 'Evet lütfen', 'EVET'], stop: ['iptal', 'İPTAL', 'DUR'], noise: ['kim bu?', 'hayır'] },
  pt: { yes: ['sim', 'Sim, obrigado'], stop: ['parar', 'sair', 'STOP'], noise: ['quem é?', 'não'] },
  it: { yes: ['sì', 'Si grazie'], stop: ['stop', 'basta'], noise: ['chi è?', 'no'] },
  pl: { yes: ['tak', 'Tak, proszę'], stop: ['stop', 'STOP'], noise: ['kto to?', 'nie'] },
  hi: { yes: ['हाँ', 'हां जी', 'haan', 'haan ji'], stop: ['STOP', 'बंद करो'], noise: ['कौन?', 'nahi'] },
  ur: { yes: ['ہاں', 'جی ہاں'], stop: ['STOP', 'بند کرو'], noise: ['کون؟', 'نہیں'] },
};

// The same words typed differently: shouted, with an exclamation mark, an emoji, stray spaces.
const TYPINGS: ((text: string) => string)[] = [
  (text) => text,
  (text) => text,
  (text) => text.toUpperCase(),
  (text) => `${text}!`,
  (text) => `${text} 👍`,
  (text) => ` ${text}. `,
];

/**
 * Deterministic customers for the emulators: who says yes (at once or after the reminder), who says STOP, who
 * answers something else and who never answers, each in their own language (a fifth of them in English). A
 * number listed twice (an SMS and a Viber address) is one customer: every address plays the same script.
 */
export function scriptCustomers(people: readonly ScriptedPerson[], options: CustomerRepliesOptions): CustomerReplies {
  const random = seededRandom(options.seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const mix = options.mix ?? defaultReplyMix;
  const onWhatsAppShare = options.onWhatsAppShare ?? 0.85;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const total = mix.yes + mix.yesAfterReminder + mix.stop + mix.noise + mix.silence;

  const scripts = new Map<string, CustomerScript>();
  const truth = { yes: new Set<string>(), stop: new Set<string>(), undecided: new Set<string>() };
  for (const person of people) {
    let script = scripts.get(person.e164);
    if (!script) {
      const replies = random() < 0.2 ? REPLIES.en! : (REPLIES[person.language] ?? REPLIES.en!);
      const answer = (texts: string[]) => ({ text: pick(TYPINGS)(pick(texts)), delayMs: Math.floor(random() * maxDelayMs) });
      let roll = random() * total;
      const falls = (share: number) => (roll -= share) < 0;
      script = { answers: [], onWhatsApp: random() < onWhatsAppShare };
      if (falls(mix.yes)) {
        script.answers = [answer(replies.yes)];
        truth.yes.add(person.e164);
      } else if (falls(mix.yesAfterReminder)) {
        script.answers = [null, answer(replies.yes)];
        truth.yes.add(person.e164);
      } else if (falls(mix.stop)) {
        script.answers = [answer(replies.stop)];
        truth.stop.add(person.e164);
      } else if (falls(mix.noise)) {
        script.answers = [answer(replies.noise)];
        truth.undecided.add(person.e164);
      } else {
        truth.undecided.add(person.e164);
      }
      scripts.set(person.e164, script);
    }
    scripts.set(person.address, script);
  }
  return { scripts, truth };
}
