/**
 * The placeholder forms businesses write in SMS and Viber texts: `[Name]`, `{name}`, `{{name}}` and `%name%`.
 * A text is read into literal parts and placeholders, so a converter can number them, check what sits between
 * them, and give each its field.
 */
export type TextPart = { kind: 'literal'; text: string } | { kind: 'placeholder'; name: string; written: string };

/** `{{name}}` first, so `{{x}}` is not read as `{` + `{x}` + `}`. Names: letters (any script), digits, `_`, `.`, `-`, spaces inside brackets. */
const PLACEHOLDER = /\{\{\s*([\p{L}\p{N}_.\- ]+?)\s*\}\}|\{\s*([\p{L}\p{N}_.\-]+)\s*\}|\[\s*([\p{L}\p{N}_.\- ]+?)\s*\]|%([\p{L}\p{N}_.\-]+)%/gu;

/** The text as literal parts and placeholders, in order. Adjacent literals are never split. */
export function readPlaceholders(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ kind: 'literal', text: text.slice(last, match.index) });
    const name = (match[1] ?? match[2] ?? match[3] ?? match[4])!;
    parts.push({ kind: 'placeholder', name: fieldName(name), written: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'literal', text: text.slice(last) });
  return parts;
}

/** One spelling per field: `[First Name]`, `{first_name}` and `%FIRST-NAME%` are the same variable. */
export function fieldName(written: string): string {
  return written
    .trim()
    .toLowerCase()
    .replace(/[\s.\-]+/g, '_');
}

/** The distinct placeholder names of a text, in order of first appearance. */
export function placeholderNames(text: string): string[] {
  return [...new Set(readPlaceholders(text).flatMap((part) => (part.kind === 'placeholder' ? [part.name] : [])))];
}
