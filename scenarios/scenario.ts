/**
 * A scenario as the business has it today, whatever file it came from: one message a system sends (order shipped,
 * appointment reminder) on SMS or Viber. The importers read SMS exports, Viber `send_message` bodies and the
 * product's own JSON format into this; the template converter reads only this.
 */
export interface Scenario {
  /** The business's own name for it, like `order_shipped`: the WhatsApp template name is made from it. */
  id: string;
  channel: 'sms' | 'viber';
  /** BCP 47 as the business writes it (`en`, `en-GB`, `ar`); the converter maps it to Meta's codes (`en_GB`). */
  language: string;
  /** With placeholders in any of the forms `readPlaceholders` knows. */
  text: string;
  /** A Viber picture message's image URL: a WhatsApp image header. */
  picture?: string;
  /** A short title above the text (the product's JSON format only): a WhatsApp text header, at most one placeholder. */
  header?: string;
  /** A short line under the text, without placeholders (the product's JSON format only): a WhatsApp footer. */
  footer?: string;
  buttons?: ScenarioButton[];
  /** What each placeholder is filled with when sending, by placeholder name (`fieldName`). */
  variables?: Record<string, ScenarioVariable>;
  /** Overrides the suggested WhatsApp category. */
  category?: TemplateCategory;
  /** Where the scenario was read from, for reports: `file.csv line 4`, `viber.json #2`. */
  origin: string;
}

export type TemplateCategory = 'utility' | 'marketing' | 'authentication';

export interface ScenarioVariable {
  /** The contact or order field that fills it when sending, like `contact.name` or `order.status`. */
  field: string;
  /** A realistic value for Meta's review; WhatsApp requires one for every variable. */
  example?: string;
}

/** A button as Viber keyboards and the JSON format have them. */
export type ScenarioButton =
  | { kind: 'reply'; text: string; /** What the bot receives when it is pressed. */ payload?: string }
  | { kind: 'url'; text: string; url: string }
  | { kind: 'phone'; text: string; phone: string };
