import { TEMPLATE_LANGUAGES } from '../../connectors/whatsapp/template-languages.ts';
import type { ConversionProblem } from './conversion.ts';

/** Older or other tags for the same languages. */
const ALIASES: Record<string, string> = { tl: 'fil', no: 'nb', iw: 'he', in: 'id', zh_hans: 'zh_CN', zh_hant: 'zh_TW' };

/**
 * Meta's code for a BCP 47 tag: `en-GB` → `en_GB`, `ar-SA` → `ar` (Meta has no Saudi Arabic of its own), `ES-mx` → `es_MX`.
 * A region Meta lacks falls back to the bare language when Meta has it, with a note; anything else is refused.
 */
export function metaLanguage(tag: string): { code: string; note?: string } | { problem: ConversionProblem } {
  const [language = '', ...rest] = tag.trim().replace(/-/g, '_').split('_');
  const base = language.toLowerCase();
  const region = rest.find((part) => /^[A-Za-z]{2}$|^\d{3}$/.test(part))?.toUpperCase();
  const script = rest.find((part) => /^[A-Za-z]{4}$/.test(part))?.toLowerCase();
  const candidates = [
    region && `${base}_${region}`,
    script && ALIASES[`${base}_${script}`],
    ALIASES[base] ?? base,
  ].filter((code): code is string => Boolean(code));
  const code = candidates.find((candidate) => TEMPLATE_LANGUAGES.has(candidate));
  if (code === undefined) {
    const variants = [...TEMPLATE_LANGUAGES].filter((c) => c.split('_')[0] === base);
    return {
      problem: {
        rule: 'language',
        reason: `WhatsApp templates have no language "${tag}"`,
        suggestion: variants.length ? `use one of ${variants.join(', ')}` : 'use a language WhatsApp supports, like en, ar, fr, es or pt_BR',
      },
    };
  }
  const exact = region ? `${base}_${region}` === code : code === (ALIASES[base] ?? base) || code === base;
  return exact ? { code } : { code, note: `language "${tag}" sent as "${code}" (WhatsApp has no ${tag.replace(/_/g, '-')} of its own)` };
}
