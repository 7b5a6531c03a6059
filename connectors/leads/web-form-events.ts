import { z } from 'zod';
import { defineEvent } from '../kit/define-connector.ts';
import { WebFormEmail, WebFormKey, WebFormText, webFormLine } from '../../schemas/domain/lead-fields.ts';

/**
 * `leads.web_form.submitted` (D20): a web form of the vendor's site was filled in with `utm_partnerid`
 * in its URL (a partner's campaign link). The site (or a Marketo webhook flow step) posts it signed with
 * WEBHOOK_SECRET_LEADS; the lead is already in Marketo (the form wrote it), the runtime routes it.
 * Its fields are cleaned as a list import's (schemas/domain/lead-fields.ts, D22): the email without
 * invisible characters, in NFC and lower case, before it is checked and used as the lead's identity
 * (dedup keys, the Marketo lookup, the PRM lead), so a zero-width space pasted with it is not a second
 * person; names, company, phone and form on one line. A submission is never refused over a field's
 * form (a webhook answered 400 is lost): a phone that is no number to call counts as none in the routing.
 */
export const webFormSubmitted = defineEvent({
  description: 'A web form was submitted; with utm_partnerid the lead is routed to its partner (D20), without it nothing is done.',
  data: z
    .object({
      email: WebFormEmail,
      first_name: WebFormText,
      last_name: WebFormText,
      company: WebFormText,
      phone: WebFormKey,
      // A form filled in without a partner's link is the site's ordinary traffic: accepted, not routed.
      utm_partnerid: WebFormKey.describe('The CRM Partner ID from the link, 18 or 15 characters; none (or empty): not a partner lead, nothing is routed.'),
      form: webFormLine(z.string().min(1)).describe('The form or page, named in the interesting moment.'),
      submitted_at: z.iso.datetime({ offset: true }),
    })
    .loose(),
  correlate: (data) => data.email.toLowerCase(),
});
