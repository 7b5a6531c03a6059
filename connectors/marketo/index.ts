import { defineConnector } from '../kit/define-connector.ts';
import { getLeads } from './get-leads.ts';
import { listActivities } from './list-activities.ts';
import { listLeadChanges } from './list-lead-changes.ts';
import { addToList, removeFromList } from './list-membership.ts';
import { MarketoClient } from './marketo-client.ts';
import { MARKETO_ENV, MARKETO_MOCK_CONFIG, MarketoConfig } from './marketo-config.ts';
import type { MarketoConnection } from './marketo-connection.ts';
import { DailyQuotaGate } from './marketo-daily-quota.ts';
import { MarketoRateBudget } from './marketo-rate-budget.ts';
import { triggerCampaign } from './trigger-campaign.ts';
import { upsertLeads } from './upsert-leads.ts';

/** Marketo: partner leads (D20–D27), their static lists, smart campaigns (interesting moments) and activities. */
export const marketoConnector = defineConnector({
  name: 'marketo',
  description: 'Leads, static lists, smart-campaign triggers and lead activities in Marketo (REST API, client-credentials token).',
  config: MarketoConfig,
  env: MARKETO_ENV,
  mockConfig: MARKETO_MOCK_CONFIG,
  // Connected once per runtime: the quota gate is shared by every run and recipe of the process, the rate
  // budget by every replica too (it lives in the store, marketo-rate-budget.ts).
  connect: (config, deps): MarketoConnection => {
    const quota = new DailyQuotaGate({ clock: deps.clock, zone: config.quotaResetZone });
    return {
      client: new MarketoClient({
        baseUrl: config.baseUrl,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        quota,
        limiter: new MarketoRateBudget({ settings: config, quota, clock: deps.clock, shared: { store: deps.store, instance: config.baseUrl, log: deps.log } }),
        http: { clock: deps.clock, log: deps.log, ...(deps.stopping && { stopping: deps.stopping }) },
      }),
    };
  },
  actions: {
    upsert_leads: upsertLeads,
    get_leads: getLeads,
    add_to_list: addToList,
    remove_from_list: removeFromList,
    trigger_campaign: triggerCampaign,
    list_activities: listActivities,
    list_lead_changes: listLeadChanges,
  },
});
