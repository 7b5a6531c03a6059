import type { MdfRequest } from '../../schemas/domain/mdf-request.ts';
import type { Partner } from '../../schemas/domain/partner.ts';

/**
 * The demo PRM: partners in each region, marketing-ready and not, and MDF requests a README walkthrough
 * can use (each comment says which rule it shows). `npm start` and the connector tests run on it;
 * scenarios replace it with their own seed.
 */

/** The demo partners: one per region, one not marketing-ready. */
export const DEMO_PARTNERS: Partner[] = [
  { id: 101, name: 'Northwind Cloud', type: 'Channel', marketingReady: true, crmId: '0015e00000NWCLD001', contactEmail: 'ops@northwind.example', region: 'EMEA' },
  // The Salesforce connector test calls this Account ID CONTOSO_ACCOUNT.
  { id: 102, name: 'Contoso Systems', type: 'Channel', marketingReady: true, crmId: 'a0B5g00000AbCdEfGH', contactEmail: 'alliances@contoso.example', region: 'AMER' },
  { id: 103, name: 'Tailspin Alliances', type: 'Alliance', marketingReady: true, crmId: '0015e00000TLSPN003', contactEmail: 'partners@tailspin.example', region: 'APAC' },
  // D3: not marketing-ready, so its requests are refused.
  { id: 104, name: 'Fabrikam Partners', type: 'Channel', marketingReady: false, crmId: '0015e00000FBRKM004', contactEmail: 'hello@fabrikam.example', region: 'EMEA' },
  // D20, D23: a Channel partner without a contact email (its digest cannot be sent: ops are told). Its CRM
  // Partner ID is a real Salesforce Id (checksum and all), so its 15-character form 0015e00000LTWRE finds it.
  { id: 105, name: 'Litware Resellers', type: 'Channel', marketingReady: true, crmId: '0015e00000LTWREAA5', contactEmail: null, region: 'AMER' },
  // D20, D21: an Alliance partner with a real Salesforce Id (its leads are not changed, only given their moment).
  { id: 106, name: 'Woodgrove Cloud', type: 'Alliance', marketingReady: true, crmId: '0015e00000WDGRVAA5', contactEmail: 'alliances@woodgrove.example', region: 'EMEA' },
];

/** An MDF request as seeded: the PRM adds id, created and updated. */
type SeedMdfRequest = Omit<MdfRequest, 'id' | 'created' | 'updated'>;

/** The demo MDF requests: five Open ones to decide, then approved ones whose activities have ended (claims). */
export const DEMO_MDF_REQUESTS: SeedMdfRequest[] = [
  // Meets every rule: routed to the EMEA approver (D8).
  {
    mdfNumber: 'MDF-1001',
    partnerId: 101,
    submittedByEmail: 'marketing@northwind.example',
    activityRegion: 'EMEA',
    activityCountry: 'DE',
    status: 'Open',
    statusReason: null,
    activityName: 'Cloud Summit Munich',
    activityType: 'Event',
    deliveryMode: 'In Person',
    description: 'Half-day executive summit with a partner keynote and hands-on labs.',
    startDate: '2026-05-12',
    endDate: '2026-05-13',
    totalCost: 20000,
    targetContacts: 300,
    estimatedPipeline: 250000,
    partnerInvestment: 10000,
    amountRequested: 10000,
    verticalIndustry: 'Manufacturing',
    segment: 'Enterprise',
  },
  // An AMER activity: routed to the AMER approver.
  {
    mdfNumber: 'MDF-1002',
    partnerId: 102,
    submittedByEmail: 'field@contoso.example',
    activityRegion: 'AMER',
    activityCountry: 'US',
    status: 'Open',
    statusReason: null,
    activityName: 'Partner Roadshow Chicago',
    activityType: 'Roadshow',
    deliveryMode: 'In Person',
    description: 'Three-city roadshow with joint customer references.',
    startDate: '2026-06-02',
    endDate: '2026-06-04',
    totalCost: 12000,
    targetContacts: 180,
    estimatedPipeline: 120000,
    partnerInvestment: 6000,
    amountRequested: 6000,
    verticalIndustry: 'Financial Services',
    segment: 'Mid-Market',
  },
  // An APAC activity from an Alliance partner, delivered virtually.
  {
    mdfNumber: 'MDF-1003',
    partnerId: 103,
    submittedByEmail: 'events@tailspin.example',
    activityRegion: 'APAC',
    // D13: India is not an APAC target market, so this request is flexi (the APAC marketing lead approves after the CMM).
    activityCountry: 'IN',
    status: 'Open',
    statusReason: null,
    activityName: 'Cloud Migration Webinar Series',
    activityType: 'Webinar',
    deliveryMode: 'Virtual',
    description: 'Four webinars on migrating workloads, with a live demo each.',
    startDate: '2026-05-20',
    endDate: '2026-06-10',
    totalCost: 8000,
    targetContacts: 500,
    estimatedPipeline: 90000,
    partnerInvestment: 4000,
    amountRequested: 4000,
    verticalIndustry: 'Retail',
    segment: 'SMB',
  },
  // D3: the partner is not marketing-ready.
  {
    mdfNumber: 'MDF-1004',
    partnerId: 104,
    submittedByEmail: 'events@fabrikam.example',
    activityRegion: 'EMEA',
    status: 'Open',
    statusReason: null,
    activityName: 'Digital Transformation Breakfast',
    activityType: 'Event',
    deliveryMode: 'In Person',
    description: 'Breakfast briefing for IT leaders in Amsterdam.',
    startDate: '2026-05-26',
    endDate: '2026-05-26',
    totalCost: 6000,
    targetContacts: 40,
    estimatedPipeline: 60000,
    partnerInvestment: 3000,
    amountRequested: 3000,
    verticalIndustry: 'Public Sector',
    segment: 'Enterprise',
  },
  // D5: asks for more than half of the cost.
  {
    mdfNumber: 'MDF-1005',
    partnerId: 101,
    submittedByEmail: 'marketing@northwind.example',
    activityRegion: 'EMEA',
    status: 'Open',
    statusReason: null,
    activityName: 'Partner Hackathon Dublin',
    activityType: 'Workshop',
    deliveryMode: 'In Person',
    description: 'Two-day hackathon for customer developers.',
    startDate: '2026-06-16',
    endDate: '2026-06-17',
    totalCost: 10000,
    targetContacts: 80,
    estimatedPipeline: 70000,
    partnerInvestment: 3000,
    amountRequested: 7000,
    verticalIndustry: 'Technology',
    segment: 'Mid-Market',
  },
  // Approved requests whose activities ended on different days, for claims and their reminders (D14-D19).
  // Numbered below 1000 so that the PRM's next number stays MDF-1006, as the request walkthrough shows.
  // An activity that ended on a Monday: day 2 after it is a Wednesday.
  approved({
    mdfNumber: 'MDF-0901',
    partnerId: 101,
    submittedByEmail: 'marketing@northwind.example',
    activityRegion: 'EMEA',
    activityName: 'Partner Day Frankfurt',
    activityType: 'Event',
    deliveryMode: 'In Person',
    description: 'One-day partner event with customer sessions.',
    startDate: '2026-03-30',
    endDate: '2026-03-30',
    totalCost: 16000,
    amountRequested: 8000,
  }),
  // Ended on a Friday: day 2 after it falls on a Sunday.
  approved({
    mdfNumber: 'MDF-0902',
    partnerId: 102,
    submittedByEmail: 'field@contoso.example',
    activityRegion: 'AMER',
    activityName: 'Security Webinar Week',
    activityType: 'Webinar',
    deliveryMode: 'Virtual',
    description: 'Five webinars on zero-trust networking.',
    startDate: '2026-03-30',
    endDate: '2026-04-03',
    totalCost: 5000,
    amountRequested: 2500,
  }),
  // Ended weeks earlier: its day-14 reminder is behind it.
  approved({
    mdfNumber: 'MDF-0903',
    partnerId: 103,
    submittedByEmail: 'events@tailspin.example',
    activityRegion: 'APAC',
    activityName: 'Sydney Cloud Breakfast',
    activityType: 'Event',
    deliveryMode: 'In Person',
    description: 'Breakfast briefing for cloud architects.',
    startDate: '2026-03-06',
    endDate: '2026-03-06',
    totalCost: 4000,
    amountRequested: 2000,
  }),
];

/** An approved demo request: the form's remaining fields filled in plausibly. */
function approved(
  fields: Pick<SeedMdfRequest, 'mdfNumber' | 'partnerId' | 'submittedByEmail' | 'activityRegion' | 'activityName' | 'activityType' | 'deliveryMode' | 'description' | 'startDate' | 'endDate'> & { totalCost: number; amountRequested: number },
): SeedMdfRequest {
  return {
    status: 'Approved',
    statusReason: null,
    targetContacts: 100,
    estimatedPipeline: 50000,
    partnerInvestment: fields.totalCost - fields.amountRequested,
    verticalIndustry: 'Technology',
    segment: 'Mid-Market',
    ...fields,
  };
}
