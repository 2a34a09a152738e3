/** HubSpot's burst limit for one app: requests per rolling window. */
export interface BurstLimit {
  requests: number;
  intervalMs: number;
}

/** The window HubSpot counts a burst in, on every plan. */
export const BURST_WINDOW_MS = 10_000;

/** Pro and Enterprise plans: 190 requests per 10 seconds (Free and Starter: 100). */
export const PRO_BURST_LIMIT: BurstLimit = { requests: 190, intervalMs: BURST_WINDOW_MS };
