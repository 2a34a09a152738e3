/**
 * A WhatsApp message template as Meta's `POST /{waba-id}/message_templates` takes it: what the scenario converter
 * produces, the templates client submits, and the emulator checks.
 */
export interface MessageTemplateDefinition {
  /** Lowercase a–z, 0–9 and `_`, at most 512 characters, unique per business account and language. */
  name: string;
  /** Meta's language code: `en`, `en_US`, `ar`, ... */
  language: string;
  category: TemplateCategoryName;
  /** `named` when the body uses `{{first_name}}` variables; positional `{{1}}` otherwise. */
  parameter_format?: 'positional' | 'named';
  components: TemplateComponent[];
}

export type TemplateCategoryName = 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';

export type TemplateComponent = HeaderComponent | BodyComponent | FooterComponent | ButtonsComponent;

export type HeaderComponent =
  | { type: 'HEADER'; format: 'TEXT'; text: string; example?: { header_text?: string[]; header_text_named_params?: NamedExample[] } }
  | { type: 'HEADER'; format: 'IMAGE'; example: { header_handle: string[] } };

export interface BodyComponent {
  type: 'BODY';
  /** Absent in an AUTHENTICATION template: Meta writes its fixed text ("{{1}} is your verification code."). */
  text?: string;
  /** AUTHENTICATION only: Meta adds "For your security, do not share this code." */
  add_security_recommendation?: boolean;
  /** Positional: one row of examples, in variable order. Named: one example per variable. */
  example?: { body_text?: string[][]; body_text_named_params?: NamedExample[] };
}

export interface FooterComponent {
  type: 'FOOTER';
  /** Absent in an AUTHENTICATION template, whose footer is Meta's expiry line. */
  text?: string;
  /** AUTHENTICATION only: "This code expires in N minutes." (1 to 90). */
  code_expiration_minutes?: number;
}

export interface ButtonsComponent {
  type: 'BUTTONS';
  buttons: TemplateButton[];
}

export type TemplateButton =
  | { type: 'QUICK_REPLY'; text: string }
  | { type: 'URL'; text: string; url: string; example?: string[] }
  | { type: 'PHONE_NUMBER'; text: string; phone_number: string }
  /** AUTHENTICATION only: the button that copies the code. */
  | { type: 'OTP'; otp_type: 'COPY_CODE'; text?: string };

export interface NamedExample {
  param_name: string;
  example: string;
}

/** A template's review state at Meta. */
export type TemplateStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED' | 'DELETED';
