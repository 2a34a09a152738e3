import type { Scenario } from '../scenario.ts';
import { defaultVariable } from './default-variables.ts';

/** Where a placeholder's value comes from when sending, and the example Meta's review sees. */
export interface VariableSource {
  field: string;
  /** Whether the scenario named the field, the table of common fields gave it, or it is the placeholder's own name. */
  fieldFrom: 'scenario' | 'default' | 'placeholder';
  /** Empty when neither the scenario nor the defaults have one: the creation rules then refuse, saying what to add. */
  example: string;
}

/** The scenario's own `variables` first, then the table of common fields; a field no one names is the placeholder's name. */
export function variableSource(scenario: Scenario, name: string, notes: string[]): VariableSource {
  const own = scenario.variables?.[name];
  const known = defaultVariable(name, scenario.language);
  const field = own?.field ?? known?.field;
  if (field === undefined) notes.push(`no field given for "${name}": sent from a field named "${name}" (set variables.${name}.field)`);
  const fieldFrom = own ? 'scenario' : known ? 'default' : 'placeholder';
  return { field: field ?? name, fieldFrom, example: own?.example ?? known?.example ?? '' };
}
