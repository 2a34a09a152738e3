/** Our reference on a campaign's message: its row id, as sent with it (Vonage client-ref, Plivo status URL, WhatsApp callback data). */
export function campaignReference(reference: string | undefined): string | undefined {
  return reference !== undefined && /^\d{1,18}$/.test(reference) ? reference : undefined;
}

/** Our reference on a rollout's message (`r<row id>`), apart from the campaign's plain row ids. */
export function rolloutReference(reference: string | undefined): string | undefined {
  return reference !== undefined && /^r\d{1,18}$/.test(reference) ? reference.slice(1) : undefined;
}
