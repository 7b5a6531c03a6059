/**
 * Has the simulated PRM of a `serve --mock` process at `base` deliver MDF-1001's submission, as step 1 of
 * the README walkthrough does (`POST /_mock/prm/webhooks`); `extra` adds fields such as a `delivery_id`.
 */
export function deliverMockSubmission(base: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/_mock/prm/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', ...extra }),
  });
}
