import type { FlowIntent } from './bot-flow.ts';
import { fillVariables, type FlowContext } from './fill-variables.ts';
import { followOn, routeText, waitsForUser, type Route } from './flow-routing.ts';
import type { WhatsAppBotMessage, WhatsAppFlow } from './whatsapp-interactive.ts';

/** What reaches the bot from WhatsApp: a pressed reply button or list row (its id is an intent name), or typed text. */
export type UserInput = { kind: 'reply'; id: string; title: string } | { kind: 'text'; text: string };

/** One message the bot sends, variables filled. */
export interface BotMessage {
  intent: string;
  message: WhatsAppBotMessage;
  /** Variables the context had no value for; they stay as written in the text. */
  missing: string[];
}

/** The bot's answer to the opening or to one input. */
export interface BotAnswer {
  /** How the input was routed; absent for the opening. */
  route?: Route;
  messages: BotMessage[];
  /** The intent at which the bot handed the conversation to an agent, if it did now. */
  handover?: string;
  /** The bot's part is over (handover, or an intent that ends the conversation). */
  ended: boolean;
}

/**
 * One conversation with a converted flow, as a state machine: it opens with the start intent, then each input
 * leads to an intent by the flow's routing, and the bot sends that intent's message (and any it chains to) until
 * it waits for the user again, hands over or ends.
 */
export class FlowConversation {
  readonly #whatsapp: WhatsAppFlow;
  readonly #context: FlowContext;
  readonly #intents: Map<string, FlowIntent>;
  #waitingAt: FlowIntent | undefined;
  #ended = false;

  constructor(whatsapp: WhatsAppFlow, context: FlowContext = {}) {
    this.#whatsapp = whatsapp;
    this.#context = context;
    this.#intents = new Map(whatsapp.flow.intents.map((intent) => [intent.intent, intent]));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The bot's first message(s), sent when the customer starts the conversation. */
  open(): BotAnswer {
    if (this.#waitingAt !== undefined || this.#ended) throw new Error('the conversation is already open');
    return this.#arrive(this.#whatsapp.flow.start);
  }

  /**
   * The bot's answer to an input. A plain string is what the customer did: the title or id of a button or row the
   * bot just offered is a press of it, anything else is typed text.
   */
  answer(input: UserInput | string): BotAnswer {
    const at = this.#waitingAt;
    if (this.#ended || at === undefined) throw new Error(this.#ended ? 'the bot\'s part of this conversation has ended' : 'open the conversation first');
    const resolved = typeof input === 'string' ? this.#resolve(at, input) : input;
    const route: Route = resolved.kind === 'reply' && this.#intents.has(resolved.id) ? { next: resolved.id, by: 'button' } : routeText(at, resolved.kind === 'reply' ? resolved.title : resolved.text);
    return { route, ...this.#arrive(route.next) };
  }

  #resolve(at: FlowIntent, typed: string): UserInput {
    const message = this.#whatsapp.messages.get(at.intent)!;
    const wanted = typed.trim().toLowerCase();
    const offered = message.type === 'interactive' ? offeredChoices(message) : [];
    const pressed = offered.find((choice) => choice.title.trim().toLowerCase() === wanted || choice.id === typed.trim());
    return pressed ? { kind: 'reply', id: pressed.id, title: pressed.title } : { kind: 'text', text: typed };
  }

  /** Sends the intent and what it chains to; validation has ruled out chains that loop. */
  #arrive(name: string): BotAnswer {
    const messages: BotMessage[] = [];
    let intent = this.#intents.get(name)!;
    for (;;) {
      messages.push(this.#message(intent));
      const next = followOn(intent);
      if (next === undefined) break;
      intent = this.#intents.get(next)!;
    }
    if (waitsForUser(intent)) {
      this.#waitingAt = intent;
      return { messages, ended: false };
    }
    this.#waitingAt = undefined;
    this.#ended = true;
    return intent.handover ? { messages, handover: intent.intent, ended: true } : { messages, ended: true };
  }

  #message(intent: FlowIntent): BotMessage {
    const template = this.#whatsapp.messages.get(intent.intent)!;
    const missing = new Set<string>();
    const fill = (text: string) => {
      const filled = fillVariables(text, this.#context);
      filled.missing.forEach((name) => missing.add(name));
      return filled.text;
    };
    const message: WhatsAppBotMessage =
      template.type === 'text'
        ? { type: 'text', text: { body: fill(template.text.body) } }
        : {
            type: 'interactive',
            interactive: {
              ...template.interactive,
              body: { text: fill(template.interactive.body.text) },
              ...(template.interactive.footer ? { footer: { text: fill(template.interactive.footer.text) } } : {}),
            },
          };
    return { intent: intent.intent, message, missing: [...missing] };
  }
}

/** The buttons or list rows an interactive message offers, as WhatsApp reports a press: id and title. */
export function offeredChoices(message: WhatsAppBotMessage): { id: string; title: string }[] {
  if (message.type !== 'interactive') return [];
  const { interactive } = message;
  return interactive.type === 'button' ? interactive.action.buttons.map(({ reply }) => reply) : interactive.action.sections.flatMap((section) => section.rows);
}

/** The text a person reads in the message. */
export function messageText(message: WhatsAppBotMessage): string {
  return message.type === 'text' ? message.text.body : [message.interactive.body.text, message.interactive.footer?.text].filter(Boolean).join('\n');
}
