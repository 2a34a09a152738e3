import { ApplicationFailure } from '@temporalio/common';
import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { rolloutPlan, type RolloutPlan, type ScenarioRolloutInput } from '../../workflows/scenario-rollout-input.ts';

/** The rollout's plan as its stored config makes it, so every activity of a rollout works from the same one. */
export async function loadRolloutPlan(db: Kysely<Database>, rolloutId: string): Promise<RolloutPlan> {
  const row = await db.selectFrom('rollouts').select('config').where('rollout_id', '=', rolloutId).executeTakeFirst();
  if (!row) throw ApplicationFailure.nonRetryable(`rollout "${rolloutId}" was never planned`, 'RolloutMissing');
  return rolloutPlan(row.config as unknown as ScenarioRolloutInput);
}

export function scenarioOf(plan: RolloutPlan, scenarioId: string): RolloutPlan['scenarios'][number] {
  const scenario = plan.scenarios.find((s) => s.id === scenarioId);
  if (!scenario) throw ApplicationFailure.nonRetryable(`rollout "${plan.rolloutId}" has no scenario "${scenarioId}"`, 'ScenarioMissing');
  return scenario;
}
