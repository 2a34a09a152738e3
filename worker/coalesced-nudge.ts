/**
 * Thousands of replies a second need not be thousands of signals: per key (a campaign, the CRMs), each caller waits for a nudge that starts after
 * its own reply was stored, and callers arriving while one is under way share the next one.
 */
export function coalesced(nudge: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const keys = new Map<string, { inFlight?: Promise<void>; next?: Promise<void> }>();
  return (key) => {
    const state = keys.get(key) ?? {};
    keys.set(key, state);
    state.next ??= (state.inFlight ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        state.next = undefined;
        const nudging = nudge(key);
        state.inFlight = nudging;
        return nudging.finally(() => {
          if (state.inFlight === nudging) state.inFlight = undefined;
        });
      });
    return state.next;
  };
}
