import type { MessageTemplateDefinition, TemplateCategoryName } from '../../connectors/whatsapp/message-template.ts';

/** What converting one scenario gives: a template ready to submit, or every reason it cannot be one yet. */
export type Conversion = AcceptedConversion | RefusedConversion;

export interface AcceptedConversion {
  ok: true;
  id: string;
  origin: string;
  template: MessageTemplateDefinition;
  /** How to fill the template when sending: each parameter, where it sits, and the contact or order field behind it. */
  variables: ConvertedVariable[];
  category: { suggested: TemplateCategoryName; chosen: TemplateCategoryName; reason: string };
  language: { written: string; code: string };
  /** A Viber picture: the image to send as the header parameter (the template's example holds it until it is uploaded). */
  headerImage?: string;
  /** Viber reply buttons' payloads, to send with each quick reply (by index in the template's buttons). */
  replyPayloads?: { index: number; text: string; payload: string }[];
  /** What changed on the way (a renamed template, reordered buttons, text Meta writes itself), so nothing changes unseen. */
  notes: string[];
}

export interface RefusedConversion {
  ok: false;
  id: string;
  origin: string;
  problems: ConversionProblem[];
}

export interface ConvertedVariable {
  /** `1`, `2`, ... positional; the `{{name}}` without braces when named. */
  parameter: string;
  /** Where the parameter is sent: the body, the text header, or the URL button at `buttonIndex`. */
  component: 'body' | 'header' | 'button';
  buttonIndex?: number;
  /** As the scenario wrote it: `[Name]`, `{order_id}`, `%CODE%`. */
  placeholder: string;
  field: string;
  /** `default` when the table of common fields chose it: check it before sending. */
  fieldFrom: 'scenario' | 'default' | 'placeholder';
  example: string;
}

export interface ConversionProblem {
  /** A stable rule id (`variable-at-start`, `buttons-url`, ...): docs/scenarios.md lists them. */
  rule: string;
  reason: string;
  suggestion: string;
}

export interface ConvertOptions {
  /** `named` writes `{{first_name}}` with `parameter_format: named`; positional `{{1}}` otherwise. */
  parameterFormat?: 'positional' | 'named';
}
