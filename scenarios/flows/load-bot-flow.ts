import { readFile } from 'node:fs/promises';
import { describeProblem, type FlowProblem } from './bot-flow.ts';
import { readBotFlow } from './read-bot-flow.ts';
import { importViberBot, isViberBotExport } from './viber-bot-import.ts';
import { convertFlowToWhatsApp, type WhatsAppFlow } from './whatsapp-interactive.ts';

/** A flow ready to play: converted to WhatsApp messages, with the notes of what the import and conversion changed. */
export interface PreparedFlow {
  whatsapp: WhatsAppFlow;
  from: 'flow' | 'viber';
  notes: string[];
}

/** A flow that cannot be played, with every problem found. */
export class BotFlowError extends Error {
  readonly problems: FlowProblem[];

  constructor(origin: string, problems: FlowProblem[]) {
    super(`${origin}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((problem) => `  ${describeProblem(problem)}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A flow file in the product format or a Viber bot export, checked and converted to WhatsApp. */
export async function loadBotFlow(path: string): Promise<PreparedFlow> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new BotFlowError(path, [{ field: '(file)', message: error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message }]);
  }
  return prepareBotFlow(json, path);
}

export function prepareBotFlow(json: unknown, origin: string): PreparedFlow {
  const notes: string[] = [];
  let flowJson = json;
  const from = isViberBotExport(json) ? 'viber' : 'flow';
  if (from === 'viber') {
    const imported = importViberBot(json);
    notes.push(...imported.notes);
    if (!imported.ok) throw new BotFlowError(origin, imported.problems);
    flowJson = imported.flow;
  }
  const read = readBotFlow(flowJson);
  const flow = read.ok ? read.flow : read.partial;
  const converted = flow && convertFlowToWhatsApp(flow);
  if (converted) notes.push(...converted.notes);
  const problems = [...(read.ok ? [] : read.problems), ...(converted && !converted.ok ? converted.problems : [])];
  if (problems.length > 0 || !converted?.ok) throw new BotFlowError(origin, problems);
  return { whatsapp: converted.whatsapp, from, notes };
}
