/** What a spreadsheet reads as the start of a formula (OWASP, CSV injection): `=`, `+`, `-`, `@`, a tab, a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A number as people write one (an E.164 number, `-3`, `+44 (0) 7700 900123`): no formula a spreadsheet could run. */
const NUMBER_ONLY = /^[+-]?[\d\s().-]+$/;

/**
 * A cell of an exported CSV as a spreadsheet will show it and never run it: text that would start a formula (a
 * name taken from a Viber profile can be `=HYPERLINK(...)`) gets a leading apostrophe, as OWASP advises; numbers,
 * E.164 ones included, stay as they are.
 */
export function spreadsheetCell(text: string): string {
  return FORMULA_START.test(text) && !NUMBER_ONLY.test(text) ? `'${text}` : text;
}
