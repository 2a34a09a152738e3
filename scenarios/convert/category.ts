import type { TemplateCategoryName } from '../../connectors/whatsapp/message-template.ts';
import { placeholderNames, readPlaceholders } from '../placeholders.ts';
import type { Scenario } from '../scenario.ts';

interface Keywords {
  /** Whole English words or phrases, matched case-insensitively. */
  english: string[];
  /** Arabic stems, matched inside words: Arabic attaches the article and prepositions (الـ، بـ، لـ) to the word. */
  arabic: string[];
}

/** Any promotion makes a template MARKETING, even next to order details: Meta re-categorises mixed content so. */
const MARKETING: Keywords = {
  english: ['sale', 'discount', 'discounts', 'off', 'offer', 'offers', 'promo', 'promotion', 'coupon', 'voucher', 'deal', 'deals',
    'free shipping', 'new arrivals', 'new collection', 'back in stock', 'limited time', 'shop now', "don't miss", 'exclusive',
    'black friday', 'we miss you', 'special price', 'save'],
  arabic: ['خصم', 'تخفيض', 'عرض خاص', 'عروض', 'كوبون', 'قسيمة', 'لفترة محدودة', 'تسوق الآن', 'متوفر من جديد', 'عاد إلى المخزون', 'حصري', 'الجمعة البيضاء', 'وصل حديثا', 'وصلت حديثا'],
};

const AUTHENTICATION: Keywords = {
  english: ['otp', 'one-time password', 'one time password', 'one-time code', 'verification code', 'verify', 'passcode', 'login code', 'security code', 'sign-in code', '2fa'],
  arabic: ['رمز التحقق', 'رمز التفعيل', 'رمز الدخول', 'رمز الأمان', 'كلمة المرور لمرة واحدة', 'كلمة مرور لمرة واحدة'],
};

const UTILITY: Keywords = {
  english: ['order', 'shipped', 'shipping', 'shipment', 'delivery', 'delivered', 'courier', 'tracking', 'track', 'dispatched', 'appointment',
    'booking', 'reservation', 'payment', 'invoice', 'bill', 'due', 'receipt', 'refund', 'account', 'subscription', 'renewal',
    'statement', 'balance', 'pickup', 'collection', 'confirmed', 'reminder', 'password'],
  arabic: ['طلب', 'شحن', 'شحنة', 'توصيل', 'المندوب', 'موعد', 'حجز', 'دفع', 'الدفع', 'فاتورة', 'مستحق', 'إيصال', 'استرداد', 'حساب', 'اشتراك', 'تجديد', 'رصيد', 'استلام'],
};

/** Placeholder names that say the message carries a one-time code. */
export const CODE_PLACEHOLDER = /^(otp|otp_code|code|pin|passcode|verification_code|one_time_code|login_code|رمز|الرمز|رمز_التحقق)$/;

/**
 * The category WhatsApp would most likely give the text, and why: promotion → MARKETING, a one-time code →
 * AUTHENTICATION, an order, delivery, appointment, payment or account matter → UTILITY, anything else MARKETING
 * (Meta treats a message tied to no transaction as marketing).
 */
export function suggestCategory(scenario: Scenario): { category: TemplateCategoryName; reason: string } {
  // Only the words the customer reads: a placeholder like {delivery_window} says nothing about the message.
  const text = [scenario.header, scenario.text, scenario.footer, ...(scenario.buttons ?? []).map((b) => b.text)]
    .filter((part): part is string => Boolean(part))
    .flatMap((part) => readPlaceholders(part).map((p) => (p.kind === 'literal' ? p.text : ' ')))
    .join('\n');
  const marketing = found(text, MARKETING);
  if (marketing) return { category: 'MARKETING', reason: `mentions "${marketing}": promotional content makes a template MARKETING` };
  const authentication = found(text, AUTHENTICATION) ?? placeholderNames(scenario.text).find((name) => CODE_PLACEHOLDER.test(name));
  if (authentication) return { category: 'AUTHENTICATION', reason: `mentions "${authentication}": a one-time code is AUTHENTICATION` };
  const utility = found(text, UTILITY);
  if (utility) return { category: 'UTILITY', reason: `mentions "${utility}": an update on an existing order, booking, payment or account is UTILITY` };
  return { category: 'MARKETING', reason: 'no order, booking, payment, account or code words found: Meta treats such messages as MARKETING' };
}

function found(text: string, keywords: Keywords): string | undefined {
  const lower = text.toLowerCase();
  const english = keywords.english.find((word) => new RegExp(`(^|[^\\p{L}\\p{N}])${escape(word)}($|[^\\p{L}\\p{N}])`, 'u').test(lower));
  return english ?? keywords.arabic.find((stem) => text.includes(stem));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
