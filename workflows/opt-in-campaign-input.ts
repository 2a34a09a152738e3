import { msToNumber } from '@temporalio/common/lib/time.js';

/**
 * The opt-in campaign of a migration, as a person writes it in the migration's input (`optIn`) or a config file.
 * Durations are written like "7 days", "2 hours", "30s". Texts are the business's words; no customer data here.
 */
export interface CampaignConfig {
  /** Names the campaign; its workflow id is `campaign-<id>`. Default: the migration id. */
  id?: string;
  /** How long replies are awaited after the notice went out, before the campaign closes. Default "7 days". */
  window?: string;
  /** When the one reminder goes to those who have not decided, counted from the notice. Default "2 days". */
  reminderAfter?: string;
  /** Local time in each contact's country when no notice or reminder is sent; null sends at any hour. Default 21:00 to 08:00. */
  quietHours?: { start: string; end: string } | null;
  /** The notice and the reminder per language code; English and Arabic are built in. */
  texts?: Record<string, CampaignTexts>;
  /** The language for contacts whose language has no texts. Default "en". */
  defaultLanguage?: string;
  /** The Viber bot's name as customers see it. Default "Updates". (SMS go from each vendor account's number.) */
  viberSender?: string;
  /** The SMS vendor for numbers whose country `smsVendorByCountry` does not name. Default "vonage". */
  smsVendor?: SmsVendor;
  smsVendorByCountry?: Record<string, SmsVendor>;
  /** The approved WhatsApp template consenting contacts get, and its language code per notice language. */
  welcomeTemplate?: { name: string; languages?: Record<string, string> };
  /** A welcome template with no status after this long leaves its contact `unknown`. Default "1 day". */
  activationTimeout?: string;
  /**
   * A send whose answer was lost (a worker died during the request) is sent again only when no delivery receipt
   * came within this time; the receipt, when it comes, proves it went out. Default "10 minutes".
   */
  unconfirmedResendAfter?: string;
  /** Batches sent side by side. Default 4. */
  concurrency?: number;
}

export interface CampaignTexts {
  notice: string;
  reminder: string;
}

export type SmsVendor = 'vonage' | 'plivo';

export interface OptInCampaignInput {
  migrationId: string;
  campaign: CampaignConfig;
}

export const builtInTexts: Record<string, CampaignTexts> = {
  en: {
    notice: "We're moving to WhatsApp! Reply YES to join us there, or STOP to opt out.",
    reminder: 'Reminder: we are moving to WhatsApp. Reply YES to keep hearing from us there, or STOP to opt out.',
  },
  ar: {
    notice: 'نحن ننتقل إلى واتساب! أرسل "نعم" للانضمام إلينا هناك، أو "توقف" لإلغاء الاشتراك.',
    reminder: 'تذكير: نحن ننتقل إلى واتساب. أرسل "نعم" لتبقى على تواصل معنا هناك، أو "توقف" لإلغاء الاشتراك.',
  },
};

export const campaignDefaults = {
  window: '7 days',
  reminderAfter: '2 days',
  quietHours: { start: '21:00', end: '08:00' },
  defaultLanguage: 'en',
  viberSender: 'Updates',
  smsVendor: 'vonage' as SmsVendor,
  welcomeTemplate: { name: 'welcome_to_whatsapp', languages: { en: 'en', ar: 'ar' } as Record<string, string> },
  activationTimeout: '1 day',
  unconfirmedResendAfter: '10 minutes',
  concurrency: 4,
};

/** The config with every default filled in, durations in milliseconds: what the activities work with. */
export interface CampaignPlan {
  campaignId: string;
  migrationId: string;
  windowMs: number;
  reminderAfterMs: number;
  quietHours: { start: string; end: string } | null;
  texts: Record<string, CampaignTexts>;
  defaultLanguage: string;
  viberSender: string;
  smsVendor: SmsVendor;
  smsVendorByCountry: Record<string, SmsVendor>;
  welcomeTemplate: { name: string; languages: Record<string, string> };
  activationTimeoutMs: number;
  unconfirmedResendAfterMs: number;
  concurrency: number;
}

export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

export function campaignPlan({ migrationId, campaign }: OptInCampaignInput): CampaignPlan {
  return {
    campaignId: campaign.id ?? migrationId,
    migrationId,
    windowMs: msToNumber((campaign.window ?? campaignDefaults.window) as never),
    reminderAfterMs: msToNumber((campaign.reminderAfter ?? campaignDefaults.reminderAfter) as never),
    quietHours: campaign.quietHours === undefined ? campaignDefaults.quietHours : campaign.quietHours,
    texts: { ...builtInTexts, ...campaign.texts },
    defaultLanguage: campaign.defaultLanguage ?? campaignDefaults.defaultLanguage,
    viberSender: campaign.viberSender ?? campaignDefaults.viberSender,
    smsVendor: campaign.smsVendor ?? campaignDefaults.smsVendor,
    smsVendorByCountry: campaign.smsVendorByCountry ?? {},
    welcomeTemplate: {
      name: campaign.welcomeTemplate?.name ?? campaignDefaults.welcomeTemplate.name,
      languages: campaign.welcomeTemplate?.languages ?? campaignDefaults.welcomeTemplate.languages,
    },
    activationTimeoutMs: msToNumber((campaign.activationTimeout ?? campaignDefaults.activationTimeout) as never),
    unconfirmedResendAfterMs: msToNumber((campaign.unconfirmedResendAfter ?? campaignDefaults.unconfirmedResendAfter) as never),
    concurrency: campaign.concurrency ?? campaignDefaults.concurrency,
  };
}

const CAMPAIGN_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const LANGUAGE = /^[a-z]{2,3}$/;

/** Every problem with a campaign config, each naming its field under `at` (e.g. `optIn.window`). */
export function campaignConfigProblems(value: unknown, at: string): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: an object is required`];
  const c = value as Record<string, unknown>;
  if (c.id !== undefined && (typeof c.id !== 'string' || !CAMPAIGN_ID.test(c.id))) problems.push(`${at}.id: 1 to 63 characters of a-z, 0-9, "-" and "_"`);
  for (const field of ['window', 'reminderAfter', 'activationTimeout', 'unconfirmedResendAfter']) {
    if (c[field] !== undefined && !isDuration(c[field])) problems.push(`${at}.${field}: a duration like "7 days", "12 hours" or "30s"`);
  }
  if (isDuration(c.window) && isDuration(c.reminderAfter) && msToNumber(c.reminderAfter as never) >= msToNumber(c.window as never)) {
    problems.push(`${at}.reminderAfter: must be shorter than window`);
  }
  if (c.quietHours !== undefined && c.quietHours !== null) {
    const q = c.quietHours as Record<string, unknown>;
    if (typeof q !== 'object' || !LOCAL_TIME.test(String(q.start)) || !LOCAL_TIME.test(String(q.end)) || q.start === q.end) {
      problems.push(`${at}.quietHours: { "start": "HH:MM", "end": "HH:MM" } with different times, or null`);
    }
  }
  if (c.texts !== undefined) {
    if (typeof c.texts !== 'object' || c.texts === null) problems.push(`${at}.texts: an object of language code → { notice, reminder }`);
    else
      for (const [language, texts] of Object.entries(c.texts)) {
        if (!LANGUAGE.test(language)) problems.push(`${at}.texts.${language}: a language code like "en" or "ar"`);
        const t = texts as Record<string, unknown> | null;
        for (const field of ['notice', 'reminder']) {
          if (typeof t?.[field] !== 'string' || (t[field] as string).trim() === '') problems.push(`${at}.texts.${language}.${field}: a text is required`);
        }
      }
  }
  if (c.defaultLanguage !== undefined && (typeof c.defaultLanguage !== 'string' || !LANGUAGE.test(c.defaultLanguage))) {
    problems.push(`${at}.defaultLanguage: a language code like "en"`);
  }
  if (c.viberSender !== undefined && (typeof c.viberSender !== 'string' || c.viberSender.length < 1 || c.viberSender.length > 28)) {
    problems.push(`${at}.viberSender: the bot's display name, 1 to 28 characters`);
  }
  if (c.smsVendor !== undefined && c.smsVendor !== 'vonage' && c.smsVendor !== 'plivo') problems.push(`${at}.smsVendor: "vonage" or "plivo"`);
  if (c.smsVendorByCountry !== undefined) {
    for (const [country, vendor] of Object.entries(c.smsVendorByCountry as object)) {
      if (!/^[A-Z]{2}$/.test(country) || (vendor !== 'vonage' && vendor !== 'plivo')) {
        problems.push(`${at}.smsVendorByCountry.${country}: an ISO country code mapped to "vonage" or "plivo"`);
      }
    }
  }
  if (c.welcomeTemplate !== undefined) {
    const w = c.welcomeTemplate as Record<string, unknown> | null;
    if (typeof w?.name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(w.name)) problems.push(`${at}.welcomeTemplate.name: an approved template name (a-z, 0-9, _)`);
  }
  if (c.concurrency !== undefined && (!Number.isInteger(c.concurrency) || (c.concurrency as number) < 1 || (c.concurrency as number) > 32)) {
    problems.push(`${at}.concurrency: a whole number from 1 to 32`);
  }
  return problems;
}

/** A Temporal duration string ("7 days", "15m", "30s") longer than zero. */
export function isDuration(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return msToNumber(value as never) > 0;
  } catch {
    return false;
  }
}
