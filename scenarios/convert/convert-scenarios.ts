import type { Scenario } from '../scenario.ts';
import type { Conversion, ConvertOptions } from './conversion.ts';
import { convertScenario } from './convert-scenario.ts';

/**
 * A set of scenarios converted together: besides each one's own rules, a template name is unique per language
 * in a WhatsApp Business Account, so a second scenario that would take the same name and language is refused.
 */
export function convertScenarios(scenarios: Scenario[], options: ConvertOptions = {}): Conversion[] {
  const taken = new Map<string, string>();
  return scenarios.map((scenario) => {
    const conversion = convertScenario(scenario, options);
    if (!conversion.ok) return conversion;
    const key = `${conversion.template.name}.${conversion.template.language}`;
    const first = taken.get(key);
    if (first === undefined) {
      taken.set(key, scenario.origin);
      return conversion;
    }
    return {
      ok: false,
      id: scenario.id,
      origin: scenario.origin,
      problems: [{
        rule: 'name-unique',
        reason: `template ${conversion.template.name} in ${conversion.template.language} is already made from ${first}`,
        suggestion: 'give one of the scenarios another id',
      }],
    };
  });
}
