import { PARTNER_LEAD_FIELDS as F } from '../../connectors/marketo/marketo-lead-fields.ts';
import type { MarketoState } from './marketo-state.ts';

/** The static list of leads shared with a partner (kept out of general marketing sends, D27). [guess: the real instance's list id differs] */
export const DEMO_PARTNER_LEADS_LIST = { id: 2001, name: 'Partner Leads - Shared with a Partner' };

/** The requestable smart campaign that writes a partner lead's interesting moment (D21). */
export const DEMO_INTERESTING_MOMENT_CAMPAIGN = {
  id: 3001,
  name: 'Partner Lead - Interesting Moment',
  requestable: true,
  interestingMoment: { type: 'Milestone', description: '{{my.Interesting Moment}}' },
};

/**
 * What `seed()` puts in the simulated Marketo: the list, the campaign and two leads (a Channel partner's,
 * an Alliance partner's); `leads` (a scenario's) replace the two demo leads.
 */
export function seedMarketo(state: MarketoState, leads?: ReadonlyArray<Record<string, unknown>>): void {
  state.clear();
  state.addList(DEMO_PARTNER_LEADS_LIST);
  state.addCampaign(DEMO_INTERESTING_MOMENT_CAMPAIGN);
  if (leads) {
    for (const lead of leads) state.createLead(lead);
    return;
  }
  state.createLead({
    email: 'jane.doe@acme.example',
    firstName: 'Jane',
    lastName: 'Doe',
    company: 'Acme Corp',
    phone: '+49 30 1234567',
    [F.crmPartnerId.name]: '0015e00000NWCLD001',
    [F.leadAcquisitionSource.name]: 'Trade Show',
  });
  state.createLead({
    email: 'raj.patel@globex.example',
    firstName: 'Raj',
    lastName: 'Patel',
    company: 'Globex',
    phone: '+1 312 555 0100',
    [F.crmPartnerId.name]: '0015e00000TLSPN003',
    [F.leadAcquisitionSource.name]: 'Partner Sponsored Event',
  });
}
