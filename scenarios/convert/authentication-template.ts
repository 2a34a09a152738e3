import type { TemplateComponent } from '../../connectors/whatsapp/message-template.ts';
import { readPlaceholders } from '../placeholders.ts';
import type { Scenario } from '../scenario.ts';
import { CODE_PLACEHOLDER } from './category.ts';
import type { ConversionProblem, ConvertedVariable } from './conversion.ts';
import { variableSource } from './variable-source.ts';

/**
 * Meta's authentication shape: WhatsApp writes the text itself ("{{1}} is your verification code."), adds the
 * security line, states the expiry from `code_expiration_minutes`, and shows a copy-code button. The scenario gives
 * the code's placeholder and, when its text says so, the minutes; what it says beyond that is noted, not sent.
 */
export function authenticationTemplate(scenario: Scenario, notes: string[], problems: ConversionProblem[]): { components: TemplateComponent[]; variables: ConvertedVariable[] } {
  const placeholders = readPlaceholders(scenario.text).flatMap((part) => (part.kind === 'placeholder' ? [part] : []));
  const names = [...new Set(placeholders.map((p) => p.name))];
  const codes = names.filter((name) => CODE_PLACEHOLDER.test(name));
  const code = codes.length === 1 ? codes[0] : names.length === 1 ? names[0] : undefined;
  if (code === undefined) {
    problems.push({
      rule: 'authentication-code',
      reason: names.length === 0 ? 'an authentication template sends a one-time code, and the text has no placeholder for it' : `cannot tell which of ${names.join(', ')} is the one-time code`,
      suggestion: 'write the code as {code} or {otp} in the text, or choose category utility',
    });
  }
  if (scenario.picture || scenario.header) problems.push({ rule: 'authentication-content', reason: 'authentication templates have no picture or header', suggestion: 'remove the picture/header, or choose category utility' });
  if (scenario.buttons?.length) problems.push({ rule: 'authentication-content', reason: 'authentication templates have only the copy-code button', suggestion: 'remove the buttons, or choose category utility' });

  const minutes = expiryMinutes(scenario.text);
  const components: TemplateComponent[] = [{ type: 'BODY', add_security_recommendation: true }];
  if (minutes !== undefined && minutes >= 1 && minutes <= 90) components.push({ type: 'FOOTER', code_expiration_minutes: minutes });
  else if (minutes !== undefined) notes.push(`the code's validity of ${minutes} minutes is not stated: WhatsApp states 1 to 90 minutes`);
  components.push({ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] });

  const written = placeholders.find((p) => p.name === code)?.written ?? '';
  const variables: ConvertedVariable[] = [];
  if (code !== undefined) {
    const origin = variableSource(scenario, code, notes);
    variables.push({ parameter: '1', component: 'body', placeholder: written, field: origin.field, fieldFrom: origin.fieldFrom, example: origin.example });
    const dropped = names.filter((name) => name !== code);
    notes.push(`WhatsApp writes the text: "{{1}} is your verification code. For your security, do not share this code."${components.length === 3 ? ` + "This code expires in ${minutes} minutes."` : ''}`);
    if (dropped.length) notes.push(`not in WhatsApp's fixed authentication text, so not sent: ${dropped.join(', ')}`);
  }
  return { components, variables };
}

/** "valid for 10 minutes", "expires in 5 mins", "صالح لمدة 10 دقائق". */
function expiryMinutes(text: string): number | undefined {
  const match = /(\d{1,4})\s*(?:minutes?|mins?\b|دقيقة|دقائق)/i.exec(text.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660)));
  return match ? Number(match[1]) : undefined;
}
