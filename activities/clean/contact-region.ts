/**
 * The region to read a contact's number in, from the most specific evidence: what the source system says
 * about the contact (a Vonage record's `country`, a Viber user's `country`), then the row's own country
 * column, then the migration's default.
 */
export function contactRegion(evidence: { sourceCountry?: string | null; rowCountry?: string | null; defaultCountry?: string | null }): string | null {
  return evidence.sourceCountry || evidence.rowCountry || evidence.defaultCountry || null;
}
