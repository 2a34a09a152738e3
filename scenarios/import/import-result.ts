import type { Scenario } from '../scenario.ts';

/**
 * What reading scenario files gives: the scenarios that could be read, and every entry that could not, with all of
 * its errors. Nothing is dropped: a rejected entry stays in the result with its reasons.
 */
export interface ImportResult {
  scenarios: Scenario[];
  rejected: RejectedEntry[];
}

export interface RejectedEntry {
  /** `sms.csv line 4`, `viber.json #2`, or the file itself when the whole file could not be read. */
  origin: string;
  /** The entry's id, when it had a readable one. */
  id?: string;
  errors: FieldError[];
}

export interface FieldError {
  /** The column or JSON path, like `language` or `keyboard.Buttons[1].ActionType`. */
  field: string;
  reason: string;
}

export function mergeResults(results: ImportResult[]): ImportResult {
  return { scenarios: results.flatMap((r) => r.scenarios), rejected: results.flatMap((r) => r.rejected) };
}
