import type { Partner } from '../../schemas/domain/partner.ts';

/**
 * The org's partner Accounts, one per PRM partner: the partner's CRM Partner ID is its Account Id
 * (D20), so a Funds Request's ChannelPartnerId points at an Account that exists. The org starts with no
 * Funds Requests: the recipes create them.
 */
export function partnerAccounts(partners: ReadonlyArray<Pick<Partner, 'name' | 'type' | 'crmId' | 'region'>>): Array<Record<string, unknown>> {
  return partners
    .filter((p) => typeof p.crmId === 'string' && p.crmId.length > 0)
    .map((p) => ({ Id: p.crmId, Name: p.name, Type: 'Partner', IsPartner: true, Partner_Type__c: p.type, Region__c: p.region }));
}
