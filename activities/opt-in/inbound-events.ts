/**
 * What the webhook routes hand over once a vendor's signature has been checked on the raw body. Every event
 * carries the vendor's own id for it, so an event delivered twice is recorded once.
 */
export type Provider = 'vonage' | 'plivo' | 'viber' | 'whatsapp';

/** A customer wrote to the business (a reply to the move notice, a STOP, anything). */
export interface InboundMessage {
  provider: Provider;
  /** The vendor's id of the message (Vonage `messageId`, Plivo `MessageUUID`, Viber `message_token`, WhatsApp `id`). */
  providerMessageId: string;
  channel: 'sms' | 'viber' | 'whatsapp';
  /** Who wrote: an E.164 number (with `+`) for SMS and WhatsApp, a Viber user id for Viber. */
  from: string;
  text: string;
  at: Date;
}

/** A vendor's word on a message we sent on an old channel (Vonage DLR, Plivo status callback, Viber delivered/failed). */
export interface DeliveryReceipt {
  provider: Exclude<Provider, 'whatsapp'>;
  /** The vendor's id of our message, when the receipt carries it. */
  providerMessageId?: string;
  /** Our own reference sent with the message (Vonage `client-ref`, the `ref` query of Plivo's status URL). */
  reference?: string;
  /** The recipient: E.164 for SMS, Viber user id for Viber. */
  recipient: string;
  /** `read`: Viber's `seen`, the customer opened it (SMS has no such receipt). */
  status: 'delivered' | 'read' | 'failed' | 'sent';
  at: Date;
}

/** A WhatsApp status webhook entry for a message we sent. */
export interface WhatsAppStatus {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** The recipient's WhatsApp id (`recipient_id`). */
  waId: string;
  at: Date;
  /** Meta's error codes on a `failed` status (131026: not on WhatsApp). */
  errorCodes: number[];
  /** `biz_opaque_callback_data` as we sent it. */
  callbackData?: string;
}

/** Where the webhook routes put what they received. Each call is idempotent; a throw means "not recorded, ask again". */
export interface InboundEvents {
  message(event: InboundMessage): Promise<void>;
  receipt(event: DeliveryReceipt): Promise<void>;
  whatsAppStatus(event: WhatsAppStatus): Promise<void>;
}
