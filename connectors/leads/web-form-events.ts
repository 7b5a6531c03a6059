import { z } from 'zod';
import { defineEvent } from '../kit/define-connector.ts';

/**
 * `leads.web_form.submitted` (D20): a web form of the vendor's site was filled in with `utm_partnerid`
 * in its URL (a partner's campaign link). The site (or a Marketo webhook flow step) posts it signed with
 * WEBHOOK_SECRET_LEADS; the lead is already in Marketo (the form wrote it), the runtime routes it.
 */
export const webFormSubmitted = defineEvent({
  description: 'A web form was submitted; with utm_partnerid the lead is routed to its partner (D20), without it nothing is done.',
  data: z
    .object({
      email: z.string().min(3),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      company: z.string().nullish(),
      phone: z.string().nullish(),
      // A form filled in without a partner's link is the site's ordinary traffic: accepted, not routed.
      utm_partnerid: z.string().nullish().describe('The CRM Partner ID from the link, 18 or 15 characters; none (or empty): not a partner lead, nothing is routed.'),
      form: z.string().min(1).describe('The form or page, named in the interesting moment.'),
      submitted_at: z.iso.datetime({ offset: true }),
    })
    .loose(),
  correlate: (data) => data.email.toLowerCase(),
});
