import type { InteractiveMessage } from '../../connectors/whatsapp/interactive-message.ts';
import type { BotFlow, FlowIntent, FlowProblem, ReplyButton } from './bot-flow.ts';

/** A bot message as Meta's `/messages` takes it (without `to`), placeholders still unfilled. */
export type WhatsAppBotMessage = { type: 'text'; text: { body: string } } | { type: 'interactive'; interactive: InteractiveMessage };

/** The flow with each intent's WhatsApp message; intents and routing are the flow's own. */
export interface WhatsAppFlow {
  flow: BotFlow;
  messages: Map<string, WhatsAppBotMessage>;
}

export type ConversionResult = { ok: true; whatsapp: WhatsAppFlow; notes: string[] } | { ok: false; problems: FlowProblem[]; notes: string[] };

/** Meta's limits for interactive messages (reference/vendor-apis.md, "Interactive"). */
export const LIMITS = { body: 1024, footer: 60, replyButtons: 3, buttonTitle: 20, listRows: 10, rowTitle: 24, listButton: 20 };

/** Labels for the button that opens a list, by language; others get the English one and a note. */
const LIST_BUTTON: Record<string, string> = { en: 'Choose', ar: 'اختر' };

/**
 * Each intent's response as a WhatsApp message: up to 3 reply buttons stay reply buttons, 4 to 10 become a list,
 * more are refused. A pressed button or row arrives with the target intent's name as its id, so routing is unchanged.
 * Link and phone buttons cannot sit beside reply buttons on WhatsApp: they are appended to the text, where WhatsApp
 * makes them tappable, and a note says so. Nothing is shortened: a title over a limit is refused with a suggestion.
 */
export function convertFlowToWhatsApp(flow: BotFlow): ConversionResult {
  const problems: FlowProblem[] = [];
  const notes: string[] = [];
  const messages = new Map<string, WhatsAppBotMessage>();
  for (const intent of flow.intents) {
    const message = convertIntent(intent, flow.language, problems, notes);
    if (message) messages.set(intent.intent, message);
  }
  return problems.length > 0 ? { ok: false, problems, notes } : { ok: true, whatsapp: { flow, messages }, notes };
}

function convertIntent(intent: FlowIntent, language: string, problems: FlowProblem[], notes: string[]): WhatsAppBotMessage | undefined {
  const before = problems.length;
  const problem = (field: string, message: string) => problems.push({ intent: intent.intent, field, message });
  const note = (message: string) => notes.push(`intent "${intent.intent}": ${message}`);

  const replies = intent.buttons.flatMap((button, index) => (button.kind === 'reply' ? [{ button, index }] : []));
  const links = intent.buttons.flatMap((button) => (button.kind === 'url' ? [`${button.text}: ${button.url}`] : button.kind === 'phone' ? [`${button.text}: ${button.phone}`] : []));
  let body = links.length > 0 ? `${intent.response}\n\n${links.join('\n')}` : intent.response;
  if (links.length > 0) {
    const what = intent.buttons.filter((button) => button.kind !== 'reply').map((button) => `"${button.text}"`);
    note(`${what.join(', ')} appended to the text: WhatsApp reply buttons cannot open a link or dial, and a link in the text is tappable`);
  }
  if (replies.length === 0 && intent.footer !== undefined) {
    body = `${body}\n\n${intent.footer}`;
    note('the footer is the text\'s last line: a WhatsApp text message has no footer');
  }
  if (length(body) > LIMITS.body) problem('response', `${length(body)} characters${links.length > 0 ? ' with the links' : ''}; a WhatsApp message body holds at most ${LIMITS.body}`);
  if (intent.footer !== undefined && length(intent.footer) > LIMITS.footer) problem('footer', `${length(intent.footer)} characters; a WhatsApp footer holds at most ${LIMITS.footer}`);
  checkDistinct(replies, problem);

  if (replies.length > LIMITS.listRows) {
    problem('buttons', `${replies.length} reply buttons; a WhatsApp list holds at most ${LIMITS.listRows} rows: split the menu, for example ${LIMITS.listRows - 1} choices and a "More" row leading to an intent with the rest`);
  }
  const asList = replies.length > LIMITS.replyButtons;
  const titleLimit = asList ? LIMITS.rowTitle : LIMITS.buttonTitle;
  for (const { button, index } of replies) {
    if (length(button.text) > titleLimit) {
      problem(`buttons[${index}].text`, `"${button.text}" has ${length(button.text)} characters; a WhatsApp ${asList ? 'list row' : 'reply button'} title holds at most ${titleLimit}: shorten it, for example to "${shortened(button.text, titleLimit)}"`);
    }
  }
  const label = intent.listButton ?? LIST_BUTTON[language.slice(0, 2).toLowerCase()] ?? LIST_BUTTON.en!;
  if (asList && length(label) > LIMITS.listButton) problem('listButton', `"${label}" has ${length(label)} characters; the button that opens a WhatsApp list holds at most ${LIMITS.listButton}`);
  if (problems.length > before) return undefined;

  const footer = intent.footer === undefined ? {} : { footer: { text: intent.footer } };
  if (replies.length === 0) return { type: 'text', text: { body } };
  if (!asList) {
    return {
      type: 'interactive',
      interactive: { type: 'button', body: { text: body }, ...footer, action: { buttons: replies.map(({ button }) => ({ type: 'reply', reply: { id: button.next, title: button.text } })) } },
    };
  }
  note(`${replies.length} choices become a WhatsApp list opened by "${label}"${intent.listButton === undefined && !(language.slice(0, 2).toLowerCase() in LIST_BUTTON) ? ' (set "listButton" for a label in the flow\'s language)' : ''}`);
  return {
    type: 'interactive',
    interactive: { type: 'list', body: { text: body }, ...footer, action: { button: label, sections: [{ rows: replies.map(({ button }) => ({ id: button.next, title: button.text })) }] } },
  };
}

/** WhatsApp needs distinct titles and ids; the id is the target intent, so two buttons to one intent clash too. */
function checkDistinct(replies: { button: ReplyButton; index: number }[], problem: (field: string, message: string) => void): void {
  const titles = new Map<string, number>();
  const targets = new Map<string, number>();
  for (const { button, index } of replies) {
    const title = button.text.trim().toLowerCase();
    const sameTitle = titles.get(title);
    if (sameTitle !== undefined) problem(`buttons[${index}].text`, `"${button.text}" is also buttons[${sameTitle}]'s title; WhatsApp button titles must be unique`);
    else titles.set(title, index);
    const sameTarget = targets.get(button.next);
    if (sameTarget !== undefined) problem(`buttons[${index}].next`, `buttons[${sameTarget}] also leads to "${button.next}"; a pressed button arrives as the intent's name, so keep one of them`);
    else targets.set(button.next, index);
  }
}

/** Meta counts characters, not UTF-16 units. */
function length(text: string): number {
  return [...text].length;
}

/** A suggestion only: the longest whole words that fit, else a hard cut. */
function shortened(text: string, limit: number): string {
  const words = text.split(/\s+/);
  let fit = '';
  for (const word of words) {
    const candidate = fit === '' ? word : `${fit} ${word}`;
    if (length(candidate) > limit) break;
    fit = candidate;
  }
  return fit !== '' ? fit : [...text].slice(0, limit).join('');
}
