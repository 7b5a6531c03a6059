import { claimValueProblems } from '../../mocks/prm/prm-writes.ts';
import type { SimulatedSystems } from '../../mocks/simulated-systems.ts';
import type { MdfClaim } from '../../schemas/domain/mdf-claim.ts';
import type { ScenarioStep } from '../../schemas/scenario.ts';

/** Delivers a PRM webhook the way the scenario driver does (signed, over HTTP), answering its failures. */
export type SendPrmEvent = (event: string, data: unknown, deliveryId: string, expectStatus: number) => Promise<string[]>;

/**
 * The claim a scenario names by title: exactly that title, the lowest id when several claims share it
 * (a D15 duplicate), or why there is none (the titles the PRM has, so a typo shows).
 */
export function claimByTitle(systems: SimulatedSystems, title: string): MdfClaim | string {
  const found = systems.prm.findMdfClaimsByTitle(title);
  if (found.length > 0) return found[0]!;
  const titles = systems.prm.mdfClaims().map((c) => JSON.stringify(c.title));
  return `the PRM has no MDF claim titled ${JSON.stringify(title)}; its claims: ${titles.length ? titles.join(', ') : 'none'}`;
}

/**
 * `submit_claim`: a partner submits a claim in the portal. The claim is created in the simulated PRM
 * (status Open, id and timestamps by the PRM) and its `mdf_claim.submitted` event is delivered, as the
 * PRM's outbound call sends it.
 */
export async function submitClaim(systems: SimulatedSystems, s: Extract<ScenarioStep, { submit_claim: unknown }>['submit_claim'], send: SendPrmEvent): Promise<string[]> {
  const problems = claimValueProblems(s.claim as Record<string, unknown>);
  if (problems.length > 0) return problems.map((p) => `submit_claim: the PRM refuses ${p}`);
  let claim: MdfClaim;
  try {
    claim = systems.prm.addMdfClaim(s.claim as Partial<MdfClaim> & { mdfNumber: string });
  } catch (error) {
    return [`submit_claim: ${(error as Error).message}`];
  }
  return send('mdf_claim.submitted', claim, s.delivery_id ?? crypto.randomUUID(), s.expect_status);
}

/**
 * `change_claim`: ops change a claim in the PRM (Missing POP, the status, the purchase order number),
 * then the PRM sends the claim as it is now in its `mdf_claim.changed` event (none for `event: ""`).
 */
export async function changeClaim(
  systems: SimulatedSystems,
  c: Extract<ScenarioStep, { change_claim: unknown }>['change_claim'],
  send: (event: string, data: unknown) => Promise<string[]>,
): Promise<string[]> {
  let id: number;
  if (c.id !== undefined) {
    id = c.id;
  } else {
    const claim = claimByTitle(systems, c.title!);
    if (typeof claim === 'string') return [`change_claim: ${claim}`];
    id = claim.id;
  }
  const problems = claimValueProblems(c.set);
  if (problems.length > 0) return problems.map((p) => `change_claim: the PRM refuses ${p}`);
  const changed = systems.prm.updateMdfClaim(id, c.set);
  if (!changed) return [`change_claim: the PRM has no MDF claim with id ${id}`];
  return c.event === '' ? [] : send(c.event, changed);
}
