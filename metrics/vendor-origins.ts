import type { ConnectorSettings } from '../worker/connector-settings.ts';

/** A Salesforce org's API lives on its own instance URL, learned at login; in production it is one of these domains. */
const SALESFORCE_DOMAINS = ['.salesforce.com', '.force.com'];

/**
 * Which vendor a request's origin belongs to, from the base URLs the worker was given: `other` for the rest (the
 * webhook receiver's own callbacks, a scrape). `extra` names origins the settings cannot (the sandbox org's instance URL).
 */
export function vendorOfOrigin(settings: ConnectorSettings, extra: Record<string, string> = {}): (origin: string) => string {
  const { whatsAppContacts, hubspot, salesforce, vonage, plivo, viber, whatsApp } = settings;
  const byOrigin = new Map<string, string>();
  const add = (vendor: string, ...urls: (string | undefined)[]) => {
    for (const url of urls) if (url !== undefined && URL.canParse(url)) byOrigin.set(new URL(url).origin, vendor);
  };
  add('whatsapp-contacts', whatsAppContacts?.baseUrl);
  add('hubspot', hubspot?.baseUrl);
  add('salesforce', salesforce?.loginUrl);
  add('vonage', vonage?.baseUrl, vonage?.smsBaseUrl, vonage?.insightBaseUrl);
  add('plivo', plivo?.baseUrl, plivo?.sendBaseUrl, plivo?.lookupBaseUrl);
  add('viber', viber?.baseUrl);
  add('whatsapp', whatsApp?.baseUrl);
  for (const [url, vendor] of Object.entries(extra)) add(vendor, url);
  return (origin) => {
    const vendor = byOrigin.get(origin);
    if (vendor !== undefined) return vendor;
    const host = URL.canParse(origin) ? new URL(origin).hostname : '';
    return salesforce !== undefined && SALESFORCE_DOMAINS.some((domain) => host.endsWith(domain)) ? 'salesforce' : 'other';
  };
}
