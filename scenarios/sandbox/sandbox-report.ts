import type { SandboxReport, SentMessage, StepResult } from './run-sandbox-script.ts';

/** The report as a business reads it: each step PASS or FAIL, and under a failure what was expected and what happened. */
export function sandboxReportText(report: SandboxReport): string {
  const lines = [`flow "${report.flow}"${report.from === 'viber' ? ' (imported from a Viber bot export)' : ''} as WhatsApp messages`];
  for (const note of report.notes) lines.push(`  note: ${note}`);
  lines.push('');
  for (const step of report.steps) {
    lines.push(`${stepName(step).padEnd(8)}${step.pass ? 'PASS' : 'FAIL'}  ${stepLine(step)}`);
    for (const failure of step.failures) lines.push(`${' '.repeat(14)}${failure}`);
  }
  lines.push('', `${report.steps.length} steps: ${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

function stepName(step: StepResult): string {
  return step.step === 0 ? 'opening' : `step ${step.step}`;
}

function stepLine(step: StepResult): string {
  const said = step.user === undefined ? 'bot' : `"${step.user}"`;
  if (step.sent.length === 0) return said;
  const sent = step.sent.map(describe).join(', then ');
  return `${said} → ${sent}${step.handover ? ', handed over to an agent' : ''}`;
}

function describe(message: SentMessage): string {
  const characters = [...message.text];
  const text = characters.length > 60 ? `${characters.slice(0, 59).join('')}…` : message.text;
  const choices = message.buttons.length === 0 ? '' : ` [${message.message === 'list' ? 'list' : 'buttons'}: ${message.buttons.join(' | ')}]`;
  return `${message.intent}: "${text.replace(/\n+/g, ' ')}"${choices}`;
}
