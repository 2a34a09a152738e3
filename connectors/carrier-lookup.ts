/**
 * What a carrier lookup (Plivo Lookup, Vonage Number Insight) says about a number, in one vocabulary so the
 * verification can combine either vendor's answer with the other evidence.
 */
export interface CarrierAnswer {
  /** `invalid`: the vendor says the number does not exist. `unknown`: it exists but the vendor cannot tell its type. */
  lineType: 'mobile' | 'fixed' | 'voip' | 'toll_free' | 'unknown' | 'invalid';
  carrier?: string;
  ported?: boolean;
  /** ISO 3166 alpha-2, as the vendor reports it. */
  country?: string;
}

export interface CarrierLookup {
  /** One number in E.164 (with `+`). Throws the vendor's failure, classified as retryable or not. */
  lookup(e164: string): Promise<CarrierAnswer>;
}
