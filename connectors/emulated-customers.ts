/**
 * The customers the emulators play: what each one answers when a message reaches them on an old channel, and
 * whether their number has WhatsApp. Shared by the SMS, Viber and WhatsApp emulators so one script is the ground
 * truth a test compares the product's consent ledger against.
 */
export interface CustomerAnswer {
  /** The reply's text as the customer types it ("yes", "نعم", "STOP", "who is this?"). */
  text: string;
  /** How long after the message arrives the reply is sent. */
  delayMs: number;
}

/** One customer: `answers[n]` is what they answer the (n+1)th message they receive; null or missing is silence. */
export interface CustomerScript {
  answers: (CustomerAnswer | null)[];
  onWhatsApp: boolean;
}

export interface EmulatedCustomers {
  /**
   * A message reached `address` (an E.164 number for SMS, a Viber user id for Viber, `whatsAppAddress(e164)` for
   * WhatsApp): the answer it gets, if any.
   * Counts the messages each address received, so the second message gets the script's second answer.
   */
  receive(address: string): CustomerAnswer | undefined;
  /** Whether this E.164 number has WhatsApp: the WhatsApp emulator fails the others with 131026. */
  onWhatsApp(e164: string): boolean;
  /** Messages each address received so far. */
  received(address: string): number;
}

/** Customers by address. A number or Viber id with no script stays silent and has no WhatsApp. */
export function emulatedCustomers(scripts: ReadonlyMap<string, CustomerScript>): EmulatedCustomers {
  const counts = new Map<string, number>();
  return {
    receive(address) {
      const nth = counts.get(address) ?? 0;
      counts.set(address, nth + 1);
      return scripts.get(address)?.answers[nth] ?? undefined;
    },
    onWhatsApp: (e164) => scripts.get(e164)?.onWhatsApp ?? false,
    received: (address) => counts.get(address) ?? 0,
  };
}

/** A customer's address on WhatsApp: apart from their SMS address, so a script written for the old channel is not replayed there. */
export function whatsAppAddress(e164: string): string {
  return `whatsapp:${e164}`;
}
