/**
 * An interactive message as Meta's `/messages` takes it in `interactive` (only inside the customer service window):
 * reply buttons (1 to 3) or a list (at most 10 rows over at most 10 sections). What the bot-flow converter produces,
 * the Cloud client sends and the emulator checks.
 */
export type InteractiveMessage = ReplyButtonsMessage | ListMessage;

export interface ReplyButtonsMessage {
  type: 'button';
  header?: { type: 'text'; text: string } | { type: 'image'; image: { link: string } };
  /** At most 1,024 characters. */
  body: { text: string };
  /** At most 60 characters. */
  footer?: { text: string };
  action: { buttons: { type: 'reply'; reply: { /** ≤ 256 */ id: string; /** ≤ 20, unique */ title: string } }[] };
}

export interface ListMessage {
  type: 'list';
  header?: { type: 'text'; text: string };
  body: { text: string };
  footer?: { text: string };
  action: {
    /** The label of the button that opens the list, at most 20 characters. */
    button: string;
    sections: { title?: string; rows: { /** ≤ 200 */ id: string; /** ≤ 24 */ title: string; /** ≤ 72 */ description?: string }[] }[];
  };
}
