import { z } from 'zod';
import { defineAction } from '../kit/define-connector.ts';
import { isEmailAddress } from '../../schemas/domain/prm-fields.ts';

/** The ops email a recipe sends instead of a partner email that has no address to go to (email.send's `unreachable`). */
export const UNREACHABLE_TEMPLATE = 'mdf-request-email-not-sent';

/** The MDF request's fields the choice reads (an MdfRequest, or a claim's `request`). */
export interface AddressedRequest {
  mdfNumber: string;
  submittedByEmail?: string | null;
}
/** The partner account's fields the choice reads (a Partner as prm.get_partner returns it). */
export interface AddressedPartner {
  id: number;
  name: string;
  contactEmail?: string | null;
}
/** Who ops are: the mdf-programme table's row. */
export interface OpsContact {
  ops_email: string;
  ops_name?: string | null;
}

export const PartnerAddress = z.object({
  /** The partner's address: one, or none when neither the submitter's nor the contact's is an address. */
  to: z.array(z.string()),
  /** Which field `to` came from, or null when none could be used. */
  from: z.enum(['submitted_by_email', 'partner_contact_email']).nullable(),
  /**
   * When `to` is empty: the ops email to send instead (email.send's `unreachable`), naming the MDF
   * number, the fields and their values; null when the partner has an address.
   */
  unreachable: z
    .object({ to: z.array(z.email()), template: z.string(), data: z.object({ ops_name: z.string().nullish(), mdf_number: z.string(), problem: z.string() }) })
    .nullable(),
});
export type PartnerAddress = z.infer<typeof PartnerAddress>;

/** A PRM field's value as ops read it in an email: quoted as typed, or "blank". */
const shown = (value: string | null | undefined): string => (value === null || value === undefined || value.trim() === '' ? 'blank' : JSON.stringify(value));

/**
 * D7, D11, D12: where the emails to the partner about an MDF request (and its claims) go. The submitter
 * (Submitted By Email) when that is an address, as always; else the partner account's contact email, so
 * that a request whose submitter typed something that is no address (`jane@`, a name, nothing) is still
 * decided and the partner still told; else nobody, and ops get instead an email (UNREACHABLE_TEMPLATE)
 * that names the MDF number, both fields and their values, so that they correct the PRM and tell the
 * partner. Chosen when a run starts, from the request and partner as the run read them; a run that waits
 * (mdf-request-approval, for its decision) chooses again from the request and partner read after the wait.
 */
export function partnerAddress(request: AddressedRequest, partner: AddressedPartner, ops: OpsContact): PartnerAddress {
  const submitter = request.submittedByEmail;
  if (typeof submitter === 'string' && isEmailAddress(submitter)) return { to: [submitter], from: 'submitted_by_email', unreachable: null };
  const contactEmail = partner.contactEmail;
  if (typeof contactEmail === 'string' && isEmailAddress(contactEmail)) return { to: [contactEmail], from: 'partner_contact_email', unreachable: null };
  const submitted = shown(request.submittedByEmail);
  const contact = partner.contactEmail === null || partner.contactEmail === undefined || partner.contactEmail.trim() === ''
    ? `${partner.name} has no contact email in the PRM (partner account ${partner.id})`
    : `the contact email of ${partner.name} in the PRM (partner account ${partner.id}) is ${shown(partner.contactEmail)}, which is not an email address either`;
  const problem = `the Submitted By Email of MDF request ${request.mdfNumber} is ${submitted}${submitted === 'blank' ? '' : ', which is not an email address'}, and ${contact}.`;
  return {
    to: [],
    from: null,
    unreachable: { to: [ops.ops_email], template: UNREACHABLE_TEMPLATE, data: { ops_name: ops.ops_name ?? null, mdf_number: request.mdfNumber, problem } },
  };
}

/** `mdf.partner_address`: partnerAddress as a step, so a recipe chooses the partner's address once and each partner email uses it. */
export const partnerAddressAction = defineAction({
  description: "Chooses where the partner's emails about an MDF request go: Submitted By Email when it is an address, else the partner's contact email, else none (and the ops email to send instead).",
  input: z
    .object({
      request: z.object({ mdfNumber: z.string().min(1), submittedByEmail: z.string().nullish() }).passthrough(),
      partner: z.object({ id: z.number(), name: z.string(), contactEmail: z.string().nullish() }).passthrough(),
      /** The `mdf-programme` table's row: its ops_email (and ops_name) are told when the partner has no address. */
      ops: z.object({ ops_email: z.email(), ops_name: z.string().nullish() }).passthrough().describe("The mdf-programme table's row (ops_email, ops_name): who is told when the partner has no address."),
    })
    .strict(),
  output: PartnerAddress,
  readOnly: true,
  async run(input) {
    return partnerAddress(input.request, input.partner, input.ops);
  },
});
