import type { SimulatedSystems } from '../mocks/simulated-systems.ts';

/** Partner accounts of the lead rounds get ids from here, so that none is a demo partner's. */
const FIRST_PARTNER_ID = 1001;
/** The day of the digest the rounds measure: leads synced in the 24 hours before 07:00 UTC. */
export const DIGEST_AT = Date.parse('2026-03-03T07:00:00Z');
/** The recall's day (D25: 30 days after the Partner Synced Date), at the recipe's 07:30 UTC. */
export const RECALL_AT = Date.parse('2026-04-02T07:30:00Z');

/** The email of lead `n`: a digest body names each lead by it, so the round can find every lead in exactly one. */
export const leadEmail = (n: number) => `lead-${n}@client.example`;
/** The lead number an email names, or null. */
export const LEAD_EMAIL_PATTERN = /lead-(\d+)@client\.example/g;
/** Partner `p`'s contact: the digest goes there. */
export const partnerEmail = (p: number) => `contact@partner-${p}.example`;

/**
 * Seeds the simulated PRM with `partners` Channel partners, each with a contact email, and `leads`
 * partner leads spread over them round-robin (lead n is partner n mod `partners`'s), so a partner's
 * leads are interleaved with every other's, as a day of booth scans and web forms leaves them. Each
 * lead is synced to the PRM at a time inside the day that ends at `syncedBefore` and never touched
 * after (updated = synced). With `marketo`, each lead also exists in Marketo with its partner account
 * set (what the routing wrote, D20), as the recall finds it. Ids are given: the simulated PRM and
 * Marketo then add each record in constant time.
 */
export function seedLeads(systems: SimulatedSystems, o: { leads: number; partners: number; syncedBefore: number; marketo: boolean }): void {
  systems.seed({ prm: { partners: [], leads: [] }, marketo: { leads: [] } });
  for (let p = 0; p < o.partners; p++) {
    const id = FIRST_PARTNER_ID + p;
    systems.prm.addPartner({ id, name: `Partner ${id}`, type: 'Channel', contactEmail: partnerEmail(id), crmId: `0015e00000B${String(id).padStart(7, '0')}` });
  }
  // Spread over the day's 24 hours, the last a minute before its end; never at its exact start (excluded).
  const day = 86_400_000;
  for (let n = 0; n < o.leads; n++) {
    const partnerId = FIRST_PARTNER_ID + (n % o.partners);
    const synced = new Date(o.syncedBefore - day + 60_000 + Math.floor(((day - 120_000) * n) / Math.max(1, o.leads))).toISOString();
    systems.prm.addLead({
      id: n + 1,
      email: leadEmail(n),
      firstName: 'Lead',
      lastName: String(n),
      company: `Client ${n}`,
      phone: '+49 30 1000',
      partnerAccountId: partnerId,
      partnerSyncedDate: synced,
      leadAcquisitionSource: 'Trade Show',
      created: synced,
      updated: synced,
    });
    if (o.marketo) {
      systems.marketo.addLead({ id: 1_000_001 + n, email: leadEmail(n), firstName: 'Lead', lastName: String(n), impartnerPartnerAccount: String(partnerId), partnerConsent: true, marketingSuspended: true, partnerType: 'Channel' });
    }
  }
}
