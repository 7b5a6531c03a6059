import { defineConnector } from '../kit/define-connector.ts';
import type { MarketoConnection } from '../marketo/marketo-connection.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import { findMarketoLead } from './find-marketo-lead.ts';
import { findPartner } from './find-partner.ts';
import { importLeadBatch } from './import-lead-batch.ts';
import { LEADS_ENV, LEADS_MOCK_CONFIG, LeadsConfig } from './leads-config.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { listDigestLeads } from './list-digest-leads.ts';
import { listInactiveLeads } from './list-inactive-leads.ts';
import { listWorkedPartnerLeads } from './list-worked-partner-leads.ts';
import { markRecallReminded } from './mark-recall-reminded.ts';
import { recallInactiveLeads } from './recall-inactive-leads.ts';
import { recordPartnerActivity } from './record-partner-activity.ts';
import { summarizeInactiveLeads } from './summarize-inactive-leads.ts';
import { syncLeadToPrm } from './sync-lead-to-prm.ts';
import { syncLeadToSalesforce } from './sync-lead-to-salesforce.ts';
import { webFormSubmitted } from './web-form-events.ts';
import { writeInterestingMoment } from './write-interesting-moment.ts';
import { writeMarketoLeads } from './write-marketo-leads.ts';

/** Partner leads (D20–D26): the partner of a CRM Partner ID, the PRM and Salesforce copies of a Channel lead, web-form events, partner activity and the recall. */
export const leadsConnector = defineConnector({
  name: 'leads',
  description: 'Partner lead routing: the partner of a CRM Partner ID, the PRM lead and the Salesforce Lead of a Channel lead, web forms with utm_partnerid.',
  config: LeadsConfig,
  env: LEADS_ENV,
  mockConfig: LEADS_MOCK_CONFIG,
  // Looked up at call time: connections are connected in one pass, in any order.
  connect: (config, deps): LeadsConnection => ({ prm: () => deps.connection<PrmClient>('prm'), salesforce: () => deps.connection<SalesforceConnection>('salesforce'), marketo: () => deps.connection<MarketoConnection>('marketo'), config }),
  actions: {
    find_partner: findPartner,
    find_marketo_lead: findMarketoLead,
    write_marketo_leads: writeMarketoLeads,
    write_interesting_moment: writeInterestingMoment,
    import_batch: importLeadBatch,
    sync_to_prm: syncLeadToPrm,
    sync_to_salesforce: syncLeadToSalesforce,
    summarize_inactive_leads: summarizeInactiveLeads,
    list_digest_leads: listDigestLeads,
    list_inactive_leads: listInactiveLeads,
    mark_recall_reminded: markRecallReminded,
    recall_inactive_leads: recallInactiveLeads,
    list_worked_partner_leads: listWorkedPartnerLeads,
    record_partner_activity: recordPartnerActivity,
  },
  events: {
    'web_form.submitted': webFormSubmitted,
  },
  // Web forms are optional: a runtime without WEBHOOK_SECRET_LEADS starts, and POST /webhooks/leads answers 404.
  webhooksOptional: true,
});
