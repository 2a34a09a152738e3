import type { FlowIntent } from './bot-flow.ts';

/** Where an input led, and by which rule, so a sandbox report can say why the bot went there. */
export interface Route {
  next: string;
  by: 'button' | 'match' | 'otherwise' | 'repeat';
  /** The pattern that matched, for `match`. */
  pattern?: string;
}

/** The bot waits for the user after this intent: it offers reply buttons, routes typed words, or asks for text. */
export function waitsForUser(intent: FlowIntent): boolean {
  if (intent.handover) return false;
  return intent.buttons.some((button) => button.kind === 'reply') || (intent.next?.match.length ?? 0) > 0 || intent.expects === 'text';
}

/**
 * The intent the bot sends right after this one without waiting (a chained message), if any. An intent that neither
 * waits, hands over nor goes on ends the conversation.
 */
export function followOn(intent: FlowIntent): string | undefined {
  return waitsForUser(intent) || intent.handover ? undefined : intent.next?.otherwise;
}

/** Where typed text leads from an intent that waits: the first matching pattern, else `otherwise`, else the same intent again. */
export function routeText(intent: FlowIntent, text: string): Route {
  for (const { pattern, next } of intent.next?.match ?? []) {
    if (keywordPattern(pattern).test(text)) return { next, by: 'match', pattern };
  }
  if (intent.next?.otherwise !== undefined) return { next: intent.next.otherwise, by: 'otherwise' };
  return { next: intent.intent, by: 'repeat' };
}

/** Patterns are searched anywhere in the text, ignoring case, in any script. Throws a SyntaxError for an invalid one. */
export function keywordPattern(pattern: string): RegExp {
  return new RegExp(pattern, 'iu');
}

/** Every intent this one can lead to. */
export function targetsOf(intent: FlowIntent): string[] {
  const targets = intent.buttons.flatMap((button) => (button.kind === 'reply' ? [button.next] : []));
  for (const { next } of intent.next?.match ?? []) targets.push(next);
  if (intent.next?.otherwise !== undefined) targets.push(intent.next.otherwise);
  return targets;
}
