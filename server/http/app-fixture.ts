import type { Hono } from 'hono';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { approvalTokenFor, hashApprovalToken, MOCK_APPROVAL_LINK_SECRET, newApprovalId } from '../../connectors/approval/approval-token.ts';
import type { RecipeInput } from '../../schemas/recipe.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import type { RuntimeConfig } from '../config.ts';
import type { RunId } from '../engine/ids.ts';
import type { Store } from '../store/store.ts';
import { createApp, type MockDeps } from './app.ts';
import { signWebhook } from './webhook-signature.ts';

/** Test support for the HTTP suites: a real engine on an in-memory store behind the real app. */
export const WEBHOOK_SECRET = 'fake-webhook-secret-for-tests';

export interface AppFixture extends EngineFixture {
  app: Hono;
  config: RuntimeConfig;
  /** Posts a delivery to `/webhooks/fake`, signed with the engine clock unless told otherwise. */
  deliver(body: unknown, options?: { timestamp?: number; secret?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Creates an approval link for a run waiting on `signal`, as the approval connector would. */
  approvalLink(runId: RunId, options?: { signal?: string; /** An optional hard cap; none by default, as the approval connector makes them. */ expiresInMs?: number; subject?: string; approverEmail?: string }): Promise<string>;
}

export function testConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    mock: false,
    host: '127.0.0.1',
    port: 0,
    dbPath: ':memory:',
    publicBaseUrl: 'http://localhost:3000',
    recipesDir: './recipes',
    tablesDir: './recipes/tables',
    logLevel: 'silent',
    apiToken: null,
    webhookSecrets: { fake: WEBHOOK_SECRET },
    maxBodyBytes: 64 * 1024,
    workerConcurrency: 1,
    workerMaxConcurrency: 64,
    maxDueBacklog: 10_000,
    maxDueAgeMs: 5000,
    workerId: 'test-worker',
    leaseMs: 60_000,
    shutdownGraceMs: 10_000,
    safetyPollMs: 30_000,
    expressionMaxSteps: 5_000_000,
    connectors: {},
    notConfigured: {},
    ...overrides,
  };
}

/** A recipe that waits for an approval decision on signal `decision`, then records it. */
export const approvalRecipe: RecipeInput = recipeWith([
  { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P30D' },
  { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% steps.decision.decision %}' } },
]);

export async function appFixture(
  options: {
    recipes?: RecipeInput[];
    config?: Partial<RuntimeConfig>;
    mock?: (fx: EngineFixture) => MockDeps;
    log?: Logger;
    /** The secret the app checks approval tokens against; `approvalLink()` always derives them from `MOCK_APPROVAL_LINK_SECRET`, so another one here plays a replaced secret. */
    linkSecret?: string;
    /** The store the engine runs on (closed with the fixture). @default an in-memory SQLite store */
    store?: Store;
    /** Real time in ms for the logs of a store outage (AppDeps.realNow). @default performance.now() */
    realNow?: () => number;
    /** Engine options beside the store (slots, other connectors). */
    engine?: Omit<NonNullable<Parameters<typeof engineFixture>[1]>, 'store'>;
  } = {},
): Promise<AppFixture> {
  const fx = await engineFixture(options.recipes ?? [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }])], {
    ...options.engine,
    ...(options.store ? { store: options.store } : {}),
  });
  const config = testConfig(options.config);
  const app = createApp({ engine: fx.engine, config, log: options.log ?? silentLog, approvalLinks: { linkSecret: options.linkSecret ?? MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' }, mock: options.mock?.(fx), ...(options.realNow ? { realNow: options.realNow } : {}) });
  return {
    ...fx,
    app,
    config,
    async deliver(body, o = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const timestamp = o.timestamp ?? Math.floor(fx.clock.now() / 1000);
      return app.request('/webhooks/fake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(o.secret ?? WEBHOOK_SECRET, text, timestamp), ...o.headers },
        body: text,
      });
    },
    approvalLink: (runId, o = {}) => approvalLinkFor(fx, runId, o),
  };
}

/** An approval link for a run waiting on `signal`, made as the approval connector makes them, in `fx.store`. */
export async function approvalLinkFor(fx: Pick<EngineFixture, 'store' | 'clock'>, runId: RunId, o: Parameters<AppFixture['approvalLink']>[1] = {}): Promise<string> {
  // As the approval connector makes them: the token derived from the secret and the approval's id.
  const id = newApprovalId();
  const token = approvalTokenFor(MOCK_APPROVAL_LINK_SECRET, id);
  const hash = hashApprovalToken(token);
  const now = fx.clock.now();
  await fx.store.enqueueOutbox(
    { key: `${runId}:${hash.slice(0, 8)}`, runId, message: { from: 'mdf@example.com', to: [o.approverEmail ?? 'cmm@example.com'], subject: 'approval needed', text: 'link', html: 'link' }, createdAt: now },
    {
      id,
      tokenHash: hash,
      runId,
      signal: o.signal ?? 'decision',
      approverEmail: o.approverEmail ?? 'cmm@example.com',
      approverName: 'Casey Morgan',
      subject: o.subject ?? 'MDF-2001: Cloud Summit booth',
      expiresAt: o.expiresInMs === undefined ? null : now + o.expiresInMs,
      createdAt: now,
    },
  );
  return `/approvals/${token}`;
}
