import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { SIMULATED_URLS } from '../../mocks/simulated-urls.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { NotFoundError, ServerError } from '../kit/http-errors.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { prmConnector } from './index.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from './prm-config.ts';
import { TITLE_KEYS_OVERLAP_MS, type PrmClient } from './prm-client.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { checkMdfClaim } from '../mdf/check-mdf-claim.ts';
import { CLAIM_TITLE_KEY_VERSION } from '../../schemas/domain/mdf-claim.ts';

/** The claim actions (D14–D18) against the simulated PRM, in its own way: paging over count, PascalCase writes, its envelope. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);
/** The runtime's store: the duplicate-title check keeps the claims' title keys there (D15). */
let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

function connect(overrides: Partial<typeof PRM_MOCK_CONFIG> = {}): PrmClient {
  return prmConnector.connect(PrmConfig.parse({ ...PRM_MOCK_CONFIG, ...overrides }), testDeps(clock, log, store)) as PrmClient;
}

/** The claim listings the PRM answers while `body` runs, and how many claims they carried: the PRM load of a check. */
async function claimListings<T>(body: () => Promise<T>): Promise<{ result: T; calls: number; claimsRead: number }> {
  const original = globalThis.fetch;
  let calls = 0;
  let claimsRead = 0;
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const res = await original(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname.endsWith('/MdfClaim__co') && (init?.method ?? 'GET') === 'GET') {
      calls += 1;
      const body = (await res.clone().json()) as { data?: { results?: unknown[] } };
      claimsRead += body.data?.results?.length ?? 0;
    }
    return res;
  });
  try {
    return { result: await body(), calls, claimsRead };
  } finally {
    spy.mockRestore();
  }
}

/**
 * Runs `body` while the PRM answers 500 to the title-key catch-up's listing from its `page`th page on
 * (every retry too): the claim listings other than the reads by id (`Id in`) and by MDF number.
 */
async function failingCatchUpFromPage(page: number, body: () => Promise<unknown>): Promise<void> {
  const original = globalThis.fetch;
  let pages = 0;
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const filter = url.searchParams.get('filter') ?? '';
    if (url.pathname.endsWith('/MdfClaim__co') && (init?.method ?? 'GET') === 'GET' && !/^(Id in|MdfNumber eq)/.test(filter)) {
      pages += 1;
      if (pages >= page) return new Response('{"success":false,"errors":[{"code":"500","message":"down"}]}', { status: 500, headers: { 'content-type': 'application/json' } });
    }
    return original(input, init);
  });
  try {
    await body();
  } finally {
    spy.mockRestore();
  }
  expect(pages).toBeGreaterThanOrEqual(page);
}

async function run(action: keyof typeof prmConnector.actions, input: unknown, connection: PrmClient = connect()) {
  const definition = prmConnector.actions[action]!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as any, notes };
}

/** Submits a claim as the partner's portal does: a PUT with PascalCase fields. Returns its id. */
async function submitClaim(fields: Record<string, unknown>, object = 'MdfClaim__co'): Promise<number> {
  const res = await fetch(`${SIMULATED_URLS.prm}/${object}`, {
    method: 'PUT',
    headers: { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1', 'content-type': 'application/json' },
    body: JSON.stringify({ Status: 'Open', ...fields }),
  });
  const body = (await res.json()) as { success: boolean; data: { id: number } };
  expect(body.success).toBe(true);
  return body.data.id;
}

describe('prm.get_mdf_claim', () => {
  it('returns the claim camelCase, with its attachments and MDF number', async () => {
    const id = await submitClaim({
      MdfNumber: 'MDF-0901',
      Title: 'Frankfurt',
      Amount: 7000,
      ActualCosts: 15000,
      PaidDate: '2026-04-10',
      Attachments: [{ name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/9' }],
    });
    const { output } = await run('get_mdf_claim', { claim_id: id });
    expect(output).toMatchObject({ id, mdfNumber: 'MDF-0901', title: 'Frankfurt', amount: 7000, actualCosts: 15000, paidDate: '2026-04-10', status: 'Open', missingPop: null });
    expect(output.attachments).toEqual([{ name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/9' }]);
  });

  it("fails with NotFoundError in the PRM's words for an unknown id, not retried", async () => {
    const error = await run('get_mdf_claim', { claim_id: 4242 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/^prm GET \/api\/objects\/v1\/MdfClaim__co\/4242 answered 404: NotFound: No MdfClaim__co record with Id 4242/);
    expect(error).toMatchObject({ retryable: false });
  });

  it('reads the object named by PRM_MDF_CLAIM_OBJECT (mdfClaimObject)', async () => {
    const error = await run('get_mdf_claim', { claim_id: 1 }, connect({ mdfClaimObject: 'Claim__co' })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/\/Claim__co\/1 answered 404: NotFound: Unknown object 'Claim__co'/);
  });
});

describe('prm.list_mdf_claims', () => {
  it('lists every claim against a request across pages, paging by count (D14)', async () => {
    // 230 claims against one request and 20 against another: more than two pages of 100.
    for (let i = 0; i < 250; i++) await submitClaim({ MdfNumber: i < 230 ? 'MDF-0902' : 'MDF-0903', Title: `Claim ${i}` });
    const { output } = await run('list_mdf_claims', { mdf_number: 'MDF-0902' });
    expect(output.count).toBe(230);
    expect(output.claims.map((c: { title: string }) => c.title)).toEqual(Array.from({ length: 230 }, (_, i) => `Claim ${i}`));
    expect((await run('list_mdf_claims', { mdf_number: 'MDF-0901' })).output).toEqual({ claims: [], count: 0 });
  });

  it('finds a title taken by another claim without regard to case and surrounding spaces (D15)', async () => {
    const first = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt' });
    await submitClaim({ MdfNumber: 'MDF-0902', Title: 'Partner Day Frankfurt 2' });
    const second = await submitClaim({ MdfNumber: 'MDF-0903', Title: '  partner day FRANKFURT ' });
    const { output } = await run('list_mdf_claims', { title: 'PARTNER DAY FRANKFURT', except_claim_id: second });
    expect(output.count).toBe(1);
    expect(output.claims[0]).toMatchObject({ id: first, mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt' });
    const both = await run('list_mdf_claims', { title: ' Partner day frankfurt' });
    expect(both.output.claims.map((c: { id: number }) => c.id)).toEqual([first, second]);
  });

  it('D15: finds the titles among 300 others, and a bad field of another claim fails nothing', async () => {
    for (let i = 0; i < 300; i++) await submitClaim({ MdfNumber: 'MDF-0902', Title: `Webinar ${i}` });
    const first = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt' });
    // An old claim whose paid date and Missing POP the PRM holds in a form the full claim schema refuses.
    systems.prm.addMdfClaim({ mdfNumber: 'MDF-0903', title: 'PARTNER day frankfurt', status: 'Paid', paidDate: '02/04/2026', missingPop: 'Receipt' } as never);
    const { output } = await run('list_mdf_claims', { title: ' partner DAY Frankfurt ' });
    expect(output.claims.map((c: { title: string }) => c.title)).toEqual(['Partner Day Frankfurt', 'PARTNER day frankfurt']);
    expect(output.claims[0].id).toBe(first);
  });

  it('D15: titles that look the same are one title: a decomposed accent, ß written SS, doubled or non-breaking spaces', async () => {
    const cafe = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Caf\u00e9 Frankfurt' });
    const strasse = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Stra\u00dfenfest K\u00f6ln' });
    const spaced = await submitClaim({ MdfNumber: 'MDF-0902', Title: 'Partner  Day\u00a0Frankfurt' });
    await submitClaim({ MdfNumber: 'MDF-0902', Title: 'PartnerDay Frankfurt' });
    expect((await run('list_mdf_claims', { title: 'Cafe\u0301 Frankfurt' })).output.claims.map((c: { id: number }) => c.id)).toEqual([cafe]);
    expect((await run('list_mdf_claims', { title: 'STRASSENFEST K\u00d6LN' })).output.claims.map((c: { id: number }) => c.id)).toEqual([strasse]);
    expect((await run('list_mdf_claims', { title: 'partner day frankfurt' })).output.claims.map((c: { id: number }) => c.id)).toEqual([spaced]);
  });

  it('D15: after the first check reads every claim, a check reads only the claims changed since and the ones with its title', async () => {
    for (let i = 0; i < 300; i++) await submitClaim({ MdfNumber: 'MDF-0902', Title: `Webinar ${i}` });
    const first = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt' });
    const initial = await claimListings(() => run('list_mdf_claims', { title: 'Something Else' }));
    expect(initial.claimsRead).toBeGreaterThanOrEqual(301);
    // Another claim, checked, well after the first 301: the newest stamp kept moves on.
    clock.advance(TITLE_KEYS_OVERLAP_MS + 60_000);
    await submitClaim({ MdfNumber: 'MDF-0903', Title: 'Webinar Extra' });
    await run('list_mdf_claims', { title: 'Webinar Extra' });
    clock.advance(60_000);
    const second = await submitClaim({ MdfNumber: 'MDF-0903', Title: 'partner  day FRANKFURT' });
    const later = await claimListings(() => run('list_mdf_claims', { title: 'partner  day FRANKFURT', except_claim_id: second }));
    expect(later.result.output.claims.map((c: { id: number }) => c.id)).toEqual([first]);
    // The claims changed since the newest stamp kept less the overlap (Webinar Extra, the new one), then
    // the two with the key by id: 4 claims in 2 listings, not 303.
    expect({ calls: later.calls, claimsRead: later.claimsRead }).toEqual({ calls: 2, claimsRead: 4 });
  });

  it('D15: a catch-up that fails half-way keeps the pages it saved, and the next one still reads the claims it did not get to', async () => {
    await run('list_mdf_claims', { title: 'Anything' });
    clock.advance(TITLE_KEYS_OVERLAP_MS * 2);
    for (let i = 0; i < 150; i++) await submitClaim({ MdfNumber: 'MDF-0902', Title: i === 140 ? 'Partner Day Frankfurt' : `Webinar ${i}` });
    const taken = (await run('list_mdf_claims', { mdf_number: 'MDF-0902' })).output.claims[140].id as number;
    clock.advance(TITLE_KEYS_OVERLAP_MS * 2);
    // A claim on the first page by id changes later than the others: its stamp is the newest.
    const firstPage = (await run('list_mdf_claims', { mdf_number: 'MDF-0902' })).output.claims[0].id as number;
    systems.prm.updateMdfClaim(firstPage, { title: 'Webinar renamed' });
    // The PRM fails every read of the second page of the catch-up.
    await failingCatchUpFromPage(2, () => expect(run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).rejects.toThrow());
    expect((await run('list_mdf_claims', { title: 'partner day frankfurt' })).output.claims.map((c: { id: number }) => c.id)).toEqual([taken]);
  });

  it('D15: a catch-up the PRM fails midway keeps the pages it saved: the next check reads only the rest, and refuses the duplicate title', async () => {
    // 250 claims a minute apart: the first check keeps their keys page by page, oldest first.
    const ids: number[] = [];
    for (let i = 0; i < 250; i++) {
      ids.push(await submitClaim({ MdfNumber: 'MDF-0902', Title: i === 20 ? 'Partner Day Frankfurt' : `Webinar ${i}` }));
      clock.advance(60_000);
    }
    // The PRM fails the third page (claims 200 to 249), every retry of it too.
    await failingCatchUpFromPage(3, () => expect(run('list_mdf_claims', { title: 'Anything' })).rejects.toThrow());
    const duplicate = await submitClaim({ MdfNumber: 'MDF-0903', Title: 'PARTNER DAY  frankfurt' });
    const next = await claimListings(() => run('list_mdf_claims', { title: 'PARTNER DAY  frankfurt', except_claim_id: duplicate }));
    expect(next.result.output.claims.map((c: { id: number }) => c.id)).toEqual([ids[20]]);
    // Claims 0 to 199 were kept: the catch-up reads from the newest kept (claim 199) less 10 minutes,
    // claims 189 to 249 and the new one, in one page; then the two with the key by id. Not 251 again.
    expect({ calls: next.calls, claimsRead: next.claimsRead }).toEqual({ calls: 2, claimsRead: 64 });
    // What the partner is told (not the other partner's claim), and the claim ops see in the journal.
    const check = checkMdfClaim(
      { id: duplicate, mdfNumber: 'MDF-0903', title: 'PARTNER DAY  frankfurt', amount: 100, paidDate: '2026-04-01' },
      { mdfNumber: 'MDF-0903', status: 'Approved', amountRequested: 1000 },
      { maximum_vendor_share: 0.5 },
      next.result.output.claims,
    );
    expect(check.problems).toEqual([
      {
        rule: 'D15',
        field: 'Claim Title',
        message: 'The Claim Title "PARTNER DAY  frankfurt" is already used by another claim; titles must be unique among all claims (letter case, spacing and the way accents are typed do not count). Please submit the claim again with another title.',
      },
    ]);
    expect(check.title_taken_by).toEqual({ id: ids[20], mdf_number: 'MDF-0902' });
  });

  it('D15: keys kept under another version of claimTitleKey are keyed again by the next check, and a claim gone from the PRM holds no later check back', async () => {
    const titles = ['Stra\u00dfenfest K\u00f6ln', ...Array.from({ length: 149 }, (_, i) => `Webinar ${i}`)];
    for (const title of titles) {
      await submitClaim({ MdfNumber: 'MDF-0902', Title: title });
      clock.advance(60_000);
    }
    const claims = (await run('list_mdf_claims', { mdf_number: 'MDF-0902' })).output.claims as Array<{ id: number; title: string; updated: string }>;
    // What an earlier claimTitleKey kept (lower-casing only: ß stays ß, so STRASSENFEST would not match),
    // for every claim and for one deleted from the PRM since, under the version before this one.
    const earlier = claims.map((claim) => ({ claimId: claim.id, titleKey: claim.title.toLowerCase(), prmUpdatedMs: Date.parse(claim.updated) }));
    earlier.push({ claimId: 99_999, titleKey: 'gone', prmUpdatedMs: Date.parse(claims[0]!.updated) });
    await store.saveClaimTitleKeys({ keys: earlier, version: CLAIM_TITLE_KEY_VERSION - 1, now: clock.now() });
    clock.advance(24 * 60 * 60_000);
    const rekeyed = await claimListings(() => run('list_mdf_claims', { title: 'STRASSENFEST K\u00d6LN' }));
    expect(rekeyed.result.output.claims.map((c: { id: number }) => c.id)).toEqual([claims[0]!.id]);
    // Every claim read again (two pages), then the one with the key by id.
    expect({ calls: rekeyed.calls, claimsRead: rekeyed.claimsRead }).toEqual({ calls: 3, claimsRead: 151 });
    // The next check reads the claims of the 10 minutes before the newest stamp (claims 139 to 149) and
    // the one with its key: the key of claim 99,999, which the full read did not list, was dropped.
    clock.advance(60_000);
    const next = await claimListings(() => run('list_mdf_claims', { title: 'webinar 148' }));
    expect(next.result.output.claims.map((c: { id: number }) => c.id)).toEqual([claims[149]!.id]);
    expect({ calls: next.calls, claimsRead: next.claimsRead }).toEqual({ calls: 2, claimsRead: 12 });
  });

  it('D15: claims the PRM holds without an Updated stamp (imported), more than a page of them, do not stop the check: a title one of them has is refused', async () => {
    // 150 claims imported into the PRM without a stamp: the PRM orders them first (nulls first), so the
    // first page of the first check ends with one of them.
    const imported: number[] = [];
    for (let i = 0; i < 150; i++) imported.push(systems.prm.addMdfClaim({ mdfNumber: 'MDF-0902', title: i === 120 ? 'Partner Day Frankfurt' : `Imported ${i}`, updated: null } as never).id);
    for (let i = 0; i < 30; i++) await submitClaim({ MdfNumber: 'MDF-0902', Title: `Webinar ${i}` });
    const duplicate = await submitClaim({ MdfNumber: 'MDF-0903', Title: 'PARTNER DAY  frankfurt' });
    const { output } = await run('list_mdf_claims', { title: 'PARTNER DAY  frankfurt', except_claim_id: duplicate });
    expect(output.claims.map((c: { id: number }) => c.id)).toEqual([imported[120]]);
    // What the partner is told.
    const check = checkMdfClaim(
      { id: duplicate, mdfNumber: 'MDF-0903', title: 'PARTNER DAY  frankfurt', amount: 100, paidDate: '2026-04-01' },
      { mdfNumber: 'MDF-0903', status: 'Approved', amountRequested: 1000 },
      { maximum_vendor_share: 0.5 },
      output.claims,
    );
    expect(check.problems.map((p) => p.rule)).toEqual(['D15']);
    expect(check.title_taken_by).toEqual({ id: imported[120], mdf_number: 'MDF-0902' });
    // And the next check too, with a claim imported since under another title.
    clock.advance(TITLE_KEYS_OVERLAP_MS * 2);
    const later = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0902', title: 'Roadshow Lyon', updated: null } as never).id;
    expect((await run('list_mdf_claims', { title: 'roadshow  LYON' })).output.claims.map((c: { id: number }) => c.id)).toEqual([later]);
  });

  it('D15: a claim imported into the PRM without an Updated stamp after the first check is still read: a duplicate of its title is refused', async () => {
    await submitClaim({ MdfNumber: 'MDF-0902', Title: 'Webinar 1' });
    expect((await run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).output.count).toBe(0);
    clock.advance(TITLE_KEYS_OVERLAP_MS * 3);
    await submitClaim({ MdfNumber: 'MDF-0902', Title: 'Webinar 2' });
    expect((await run('list_mdf_claims', { title: 'Webinar 2' })).output.count).toBe(1);
    clock.advance(TITLE_KEYS_OVERLAP_MS * 3);
    // Imported since, without a stamp: no `Updated ge` watermark ever matches it.
    const imported = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0902', title: 'Partner Day Frankfurt', status: 'Approved', updated: null } as never).id;
    const duplicate = await submitClaim({ MdfNumber: 'MDF-0903', Title: 'partner day frankfurt' });
    const { output } = await run('list_mdf_claims', { title: 'partner day frankfurt', except_claim_id: duplicate });
    expect(output.claims.map((c: { id: number }) => c.id)).toEqual([imported]);
    const check = checkMdfClaim(
      { id: duplicate, mdfNumber: 'MDF-0903', title: 'partner day frankfurt', amount: 100, paidDate: '2026-04-01' },
      { mdfNumber: 'MDF-0903', status: 'Approved', amountRequested: 1000 },
      { maximum_vendor_share: 0.5 },
      output.claims,
    );
    expect(check.problems).toEqual([
      {
        rule: 'D15',
        field: 'Claim Title',
        message: 'The Claim Title "partner day frankfurt" is already used by another claim; titles must be unique among all claims (letter case, spacing and the way accents are typed do not count). Please submit the claim again with another title.',
      },
    ]);
  });

  it('D15: a claim ops rename in the PRM after it was kept is found under its new title, and no longer under its old one', async () => {
    const berlin = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Partner Day Berlin' });
    expect((await run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).output.count).toBe(0);
    clock.advance(TITLE_KEYS_OVERLAP_MS * 3);
    systems.prm.updateMdfClaim(berlin, { title: 'PARTNER DAY FRANKFURT' });
    expect((await run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).output.claims.map((c: { id: number }) => c.id)).toEqual([berlin]);
    expect((await run('list_mdf_claims', { title: 'Partner Day Berlin' })).output.count).toBe(0);
  });

  it('D15: a claim kept under the title and deleted from the PRM since is not a duplicate', async () => {
    const gone = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt' });
    expect((await run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).output.count).toBe(1);
    const res = await fetch(`${SIMULATED_URLS.prm}/MdfClaim__co/${gone}`, { method: 'DELETE', headers: { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1' } });
    expect(res.status).toBeLessThan(300);
    expect((await run('list_mdf_claims', { title: 'Partner Day Frankfurt' })).output.count).toBe(0);
  });

  it('a listed claim without even an id, MDF number or status fails naming the claim id', async () => {
    systems.prm.addMdfClaim({ mdfNumber: 'MDF-0902', title: 'Broken', status: 42 } as never);
    const error = await run('list_mdf_claims', { mdf_number: 'MDF-0902' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^prm: claim \d+ listed from MdfClaim__co cannot be read: status: /);
  });

  it('takes exactly one of mdf_number and title', () => {
    const input = prmConnector.actions.list_mdf_claims!.input;
    expect(input.safeParse({}).success).toBe(false);
    expect(input.safeParse({ mdf_number: 'MDF-0901', title: 'x' }).success).toBe(false);
    expect(input.safeParse({ title: '   ' }).success).toBe(false);
  });

  it('rides out a server error while paging', async () => {
    for (let i = 0; i < 120; i++) await submitClaim({ MdfNumber: 'MDF-0902', Title: `Claim ${i}` });
    systems.faults.inject({ system: 'prm', kind: 'server_error', times: 1 });
    const { output, notes } = await run('list_mdf_claims', { mdf_number: 'MDF-0902' });
    expect(output.count).toBe(120);
    expect(notes.join('\n')).toMatch(/answered 500/);
  });
});

describe('prm.update_mdf_claim_status', () => {
  it('sets the Claim Approval Status and reason with a PascalCase PATCH, and repeating it changes nothing (D18)', async () => {
    const id = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Frankfurt' });
    clock.advance(60_000);
    const { output } = await run('update_mdf_claim_status', { claim_id: id, status: 'Denied', reason: 'No proof of performance' });
    expect(output).toMatchObject({ id, status: 'Denied', statusReason: 'No proof of performance', updated: new Date(clock.now()).toISOString() });
    const again = await run('update_mdf_claim_status', { claim_id: id, status: 'Denied', reason: 'No proof of performance' });
    expect(again.output.status).toBe('Denied');
    expect((await run('get_mdf_claim', { claim_id: id })).output).toMatchObject({ status: 'Denied', statusReason: 'No proof of performance' });
  });

  it('with only_from, leaves a claim that moved on untouched and says why (D12)', async () => {
    const id = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Frankfurt', Status: 'Approved' });
    const error = await run('update_mdf_claim_status', { claim_id: id, status: 'Denied', only_from: ['Open'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StatusMovedOnError', retryable: false, message: `claim ${id} (MDF-0901) is Approved in the PRM, not Open: it was not set to Denied` });
    expect((await run('get_mdf_claim', { claim_id: id })).output.status).toBe('Approved');
  });

  it('is retried after a server error on the PATCH, and refuses a status outside the picklist before calling', async () => {
    const id = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Frankfurt' });
    systems.faults.inject({ system: 'prm', kind: 'server_error', method: 'PATCH', times: 1 });
    const { output, notes } = await run('update_mdf_claim_status', { claim_id: id, status: 'Paid' });
    expect(notes).toEqual([expect.stringMatching(/^prm PATCH \S+ answered 500.*\(attempt 2 of 3\)$/)]);
    expect(output.status).toBe('Paid');
    await expect(run('update_mdf_claim_status', { claim_id: id, status: 'Rejected' })).rejects.toThrow(/status/);
  });

  it('fails with a retryable ServerError when the PRM keeps failing', async () => {
    const id = await submitClaim({ MdfNumber: 'MDF-0901', Title: 'Frankfurt' });
    systems.faults.inject({ system: 'prm', kind: 'server_error', times: 3 });
    const error = await run('update_mdf_claim_status', { claim_id: id, status: 'Approved' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true });
  });
});

describe('claim and request events', () => {
  it('are known to the catalog POST /webhooks/prm looks events up in, and a claim without its MDF number is refused naming it', () => {
    const catalog = new ConnectorCatalog([prmConnector]);
    for (const name of ['prm.mdf_claim.submitted', 'prm.mdf_claim.changed', 'prm.mdf_request.changed']) expect(catalog.eventDefinition(name), name).toBeDefined();
    const parsed = catalog.eventDefinition('prm.mdf_claim.submitted')!.data.safeParse({ id: 1, status: 'Open', created: '2026-04-20T09:00:00Z', updated: '2026-04-20T09:00:00Z' });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['mdfNumber']);
  });

  it('registers mdf_claim.submitted, mdf_claim.changed and mdf_request.changed, correlated on the MDF number', () => {
    const claim = { id: 1, mdfNumber: 'MDF-0901', title: 'x', status: 'Open', created: '2026-04-20T09:00:00.000Z', updated: '2026-04-20T09:00:00.000Z' };
    for (const name of ['mdf_claim.submitted', 'mdf_claim.changed'] as const) {
      const event = prmConnector.events![name]!;
      expect(event.correlate!(event.data.parse(claim))).toBe('MDF-0901');
      expect(event.data.safeParse({ ...claim, mdfNumber: undefined }).success).toBe(false);
    }
    const request = systems.prm.findMdfRequest('MDF-0902')!;
    expect(prmConnector.events!['mdf_request.changed']!.data.parse(request)).toMatchObject({ endDate: '2026-04-03' });
  });
});
