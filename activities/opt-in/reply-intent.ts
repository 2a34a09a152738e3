/**
 * What a customer meant by their reply to the move notice ("We're moving to WhatsApp! Reply YES to join"). Only
 * a whole reply made of yes or STOP words (with courtesies like "please", "شكرا", "ok" around them) counts; anything
 * else is stored and left undecided, never guessed: "yes but not now", "yesterday", "stopover", "who is this?".
 */
export type ReplyIntent = 'yes' | 'stop' | 'undecided';

type Word = 'yes' | 'stop' | 'courtesy';

const YES = [
  'yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'ok yes', 'okay yes', 'yes ok',
  // Arabic. "يس" (a transliterated "yes") stays undecided: it is also the name Yasin and a surah's name.
  'نعم', 'ايوه', 'ايوا', 'اي', 'أجل', 'بلى', 'موافق', 'موافقة', 'أوافق', 'أكيد',
  'да', 'da', 'так', 'tak', 'sí', 'oui', 'ouais', 'ja', 'jawohl', 'evet', 'sim',
  'haan', 'haa', 'han', 'ji haan', 'haan ji', 'हाँ', 'हां', 'जी हाँ', 'जी हां', 'ہاں', 'جی ہاں', 'ہاں جی',
];

// STOP errs on the side of leaving people alone, so transliterations count here ("ستوب") though not for yes.
const STOP = [
  'stop', 'stopall', 'stop all', 'unsubscribe', 'cancel', 'end', 'quit', 'optout', 'opt out',
  'توقف', 'إلغاء', 'إلغاء الاشتراك', 'إيقاف', 'إيقاف الاشتراك', 'قف', 'ستوب',
  'стоп', 'отписаться', 'отписка', 'відписатися', 'alto', 'baja', 'parar', 'cancelar', 'basta', 'arrêt', 'arrêter',
  'stopp', 'abmelden', 'abbestellen', 'dur', 'durdur', 'iptal', 'sair', 'band karo', 'बंद करो', 'بند کرو',
];

// Words that go with an answer without being one: "ok" alone is undecided, "ok yes" is a yes.
const COURTESY = [
  'please', 'pls', 'plz', 'thanks', 'thank you', 'thx', 'ok', 'okay', 'sure',
  'شكرا', 'شكرا لك', 'شكرا جزيلا', 'من فضلك', 'لو سمحت', 'تمام', 'اوكي',
  'спасибо', 'пожалуйста', 'ок', 'хорошо', 'дякую', 'будь ласка', 'добре',
  'por favor', 'gracias', 'vale', 'merci', "s'il vous plaît", 'svp', "d'accord", 'bitte', 'danke', 'gerne',
  'lütfen', 'teşekkürler', 'teşekkür ederim', 'tamam', 'obrigado', 'obrigada', 'grazie', 'per favore',
  'proszę', 'dziękuję', 'ji', 'जी', 'shukriya', 'dhanyavaad', 'धन्यवाद', 'शुक्रिया', 'شکریہ',
];

const WORDS = new Map<string, Word>([
  ...COURTESY.map((phrase) => [normalizeReply(phrase), 'courtesy'] as const),
  ...YES.map((phrase) => [normalizeReply(phrase), 'yes'] as const),
  ...STOP.map((phrase) => [normalizeReply(phrase), 'stop'] as const),
]);
const LONGEST_PHRASE = Math.max(...[...WORDS.keys()].map((phrase) => phrase.split(' ').length));

/**
 * Reads a reply as a whole: yes or STOP words and courtesies, in any order, and nothing else. A reply holding both
 * a yes and a STOP ("yes stop") is a STOP: not messaging someone who may have asked us to stop is the safe reading.
 */
export function classifyReply(text: string): ReplyIntent {
  const tokens = normalizeReply(text).split(' ');
  let yes = false;
  let stop = false;
  for (let at = 0; at < tokens.length; ) {
    // The longest known phrase at this point, so "opt out" is one STOP and not an unknown "opt".
    let length = Math.min(LONGEST_PHRASE, tokens.length - at);
    while (length > 0 && !WORDS.has(tokens.slice(at, at + length).join(' '))) length--;
    const word = WORDS.get(tokens.slice(at, at + length).join(' '));
    if (!word) return 'undecided';
    yes ||= word === 'yes';
    stop ||= word === 'stop';
    at += length;
  }
  return stop ? 'stop' : yes ? 'yes' : 'undecided';
}

/**
 * The reply as words to look up: compatibility forms folded (NFKC), lower case, accents and Arabic diacritics,
 * hamza on alef and tatweel dropped, punctuation, emoji and invisible marks turned into single spaces.
 */
function normalizeReply(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    // Latin and Cyrillic accents (sí, arrêt, lütfen), Arabic harakat, tanween and the hamza NFD splits off أ إ آ.
    .replace(/[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g, '')
    .replace(/\u0671/g, 'ا')
    .replace(/\u0649/g, 'ي')
    .replace(/\u0629/g, 'ه')
    .normalize('NFC')
    // Right-to-left marks and joiners that phones put into Arabic text, and emoji variation selectors.
    .replace(/[\p{Cf}\ufe00-\ufe0f]/gu, '')
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim();
}
