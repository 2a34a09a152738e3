/** What is woken once a webhook event is recorded: the campaign of a yes, and the CRM live sync for a change a CRM holds. */
export interface Wakes {
  campaignId?: string;
  crm: boolean;
}
