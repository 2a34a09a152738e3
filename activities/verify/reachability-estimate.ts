import type { CarrierAnswer } from '../../connectors/carrier-lookup.ts';
import type { ContactCheckStatus } from '../../connectors/whatsapp/contacts-check-client.ts';
import type { Reachability, ReachabilityEvidence } from '../../database/schema.ts';

export interface ReachabilityInput {
  /** The number's line type from the phone metadata (`mobile`, `fixed_line`, ...), as cleaning stored it. */
  lineType: string | null;
  carrier?: { vendor: string; answer: CarrierAnswer };
  contactsCheck?: ContactCheckStatus;
  lastInteractionAt: Date | null;
}

export interface ReachabilityEstimate {
  reachability: Reachability;
  evidence: ReachabilityEvidence;
  /** Unlikely on WhatsApp, or silent for longer than the inactivity limit: a re-engagement campaign's audience. */
  reengage: boolean;
}

/** Line types no consumer WhatsApp account lives on. */
const NOT_MOBILE = new Set(['fixed_line', 'toll_free', 'premium_rate', 'shared_cost', 'voip', 'personal_number', 'pager', 'uan', 'voicemail']);

/**
 * The verification's estimate, strongest evidence first: a contacts check's answer (where a provider still has
 * one), then the carrier's line type, then the number's own metadata. Only the first WhatsApp delivery confirms it.
 */
export function estimateReachability(input: ReachabilityInput, inactiveBefore: Date): ReachabilityEstimate {
  const evidence: ReachabilityEvidence = { lineType: input.lineType, lastInteractionAt: input.lastInteractionAt?.toISOString() ?? null };
  if (input.carrier) {
    const { vendor, answer } = input.carrier;
    evidence.carrier = { vendor, lineType: answer.lineType, ...(answer.carrier ? { name: answer.carrier } : {}), ...(answer.ported !== undefined ? { ported: answer.ported } : {}) };
  }
  if (input.contactsCheck) evidence.contactsCheck = { status: input.contactsCheck };
  const reachability = decide(input);
  const inactive = input.lastInteractionAt !== null && input.lastInteractionAt < inactiveBefore;
  return { reachability, evidence, reengage: reachability === 'unlikely' || inactive };
}

function decide({ lineType, carrier, contactsCheck }: ReachabilityInput): Reachability {
  if (contactsCheck === 'valid') return 'likely';
  if (contactsCheck === 'invalid') return 'unlikely';
  switch (carrier?.answer.lineType) {
    case 'mobile':
      return 'likely';
    case 'fixed':
    case 'voip':
    case 'toll_free':
    case 'invalid':
      return 'unlikely';
  }
  if (lineType === 'mobile') return 'likely';
  if (lineType !== null && NOT_MOBILE.has(lineType)) return 'unlikely';
  return 'unknown';
}

/** Line types worth a carrier lookup: the ones the metadata alone cannot settle, or could have wrong after porting. */
export function needsCarrierLookup(lineType: string | null): boolean {
  return lineType === null || !NOT_MOBILE.has(lineType);
}
