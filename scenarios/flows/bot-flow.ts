/**
 * A bot flow in the product's JSON format (docs/bot-flows.md): intents the bot answers with, and where each user
 * input leads. Viber bot exports are imported into this; the WhatsApp converter and the sandbox read only this.
 */
export interface BotFlow {
  /** The business's name for the flow, like `support`. */
  flow: string;
  /** BCP 47 as the business writes it (`en`, `ar`). */
  language: string;
  /** The intent the bot opens the conversation with. */
  start: string;
  intents: FlowIntent[];
  /** The variables the responses use, by placeholder name (`fieldName`); values come from a context when sending. */
  variables: Record<string, FlowVariable>;
}

export interface FlowIntent {
  /** Unique in the flow; a pressed WhatsApp button arrives with it as the reply id. */
  intent: string;
  /** What the bot says, with placeholders in any form `readPlaceholders` knows. */
  response: string;
  /** A short line under the response (WhatsApp footer, at most 60 characters). */
  footer?: string;
  buttons: FlowButton[];
  /** The label of the button that opens a WhatsApp list, when the buttons become one. */
  listButton?: string;
  /** `text`: the bot waits for a free-text answer even without buttons or keyword routes. */
  expects?: 'text';
  next?: FlowRouting;
  /** The bot's part ends here: an agent takes the conversation over. */
  handover: boolean;
}

export type FlowButton = ReplyButton | LinkButton | PhoneButton;

/** Pressing it routes to `next`. */
export interface ReplyButton {
  kind: 'reply';
  text: string;
  next: string;
}

export interface LinkButton {
  kind: 'url';
  text: string;
  url: string;
}

export interface PhoneButton {
  kind: 'phone';
  text: string;
  phone: string;
}

/** Where an input that is not a button press leads. */
export interface FlowRouting {
  /** Case-insensitive regular expressions (plain keywords, `|` between alternatives) → intent, tried in order. */
  match: { pattern: string; next: string }[];
  /** Where any other input leads; without it the bot asks the same intent again. */
  otherwise?: string;
}

export interface FlowVariable {
  /** The contact or order field that fills it in production, like `contact.name`. */
  field?: string;
  /** A realistic value, for documentation and previews. */
  example?: string;
}

/** A problem with a flow file, pinned to where it is: the intent and the field. */
export interface FlowProblem {
  intent?: string;
  field: string;
  message: string;
}

export function describeProblem(problem: FlowProblem): string {
  const where = problem.intent === undefined ? problem.field : `intent "${problem.intent}", ${problem.field}`;
  return `${where}: ${problem.message}`;
}
