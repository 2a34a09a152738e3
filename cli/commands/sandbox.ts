import { parseArgs } from 'node:util';
import { loadBotFlow } from '../../scenarios/flows/load-bot-flow.ts';
import { runSandboxScript } from '../../scenarios/sandbox/run-sandbox-script.ts';
import { loadSandboxScript } from '../../scenarios/sandbox/sandbox-script.ts';
import { sandboxReportText } from '../../scenarios/sandbox/sandbox-report.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `sandbox run FLOW --script CONVERSATION [--json]`: plays a scripted conversation through the flow converted to
 * WhatsApp and reports each step. A failing step, a flow with problems or a broken script end it with an error.
 */
export async function sandboxCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'run') throw new UsageError(action === undefined ? 'sandbox needs run' : `sandbox ${action}: not a sandbox command (run)`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: { script: { type: 'string' }, json: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError(`sandbox run: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  const [flowPath, ...extra] = positionals;
  if (!flowPath || !values.script) throw new UsageError('sandbox run needs the FLOW file and --script CONVERSATION');
  if (extra.length > 0) throw new UsageError(`sandbox run takes one FLOW file, not also ${extra.join(' ')}`);

  const flow = await loadBotFlow(flowPath);
  const script = await loadSandboxScript(values.script);
  const report = runSandboxScript(flow, script);
  console.log(values.json ? JSON.stringify(report, null, 2) : sandboxReportText(report));
  if (report.failed > 0) {
    const failed = report.steps.filter((step) => !step.pass).map((step) => (step.step === 0 ? 'the opening' : `step ${step.step}`));
    throw new Error(`${failed.join(', ')} failed`);
  }
}
