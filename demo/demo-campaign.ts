import type { CampaignConfig } from '../workflows/opt-in-campaign-input.ts';

/** The demo's opt-in campaign: days in production, seconds in the sandbox, on the same durable timers. */
export const demoCampaign: CampaignConfig = {
  window: '40s',
  reminderAfter: '15s',
  quietHours: null,
  smsVendorByCountry: { GB: 'plivo', DE: 'plivo', FR: 'plivo', ES: 'plivo', PL: 'plivo' },
  activationTimeout: '30s',
  unconfirmedResendAfter: '10s',
};
