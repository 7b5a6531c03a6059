import pg from 'pg';
import { silentLog, type Logger } from '../../connectors/kit/define-connector.ts';
import { Outage, type OutageMessages } from '../engine/outage.ts';
import { WAKE_CONNECTION_SETTINGS, WAKE_HEARTBEAT } from './wake-connection.ts';

/**
 * What a replica hears of runs made due anywhere: `at`, the earliest time a write made a run (or a
 * business timer) due, in the store's milliseconds; `null` after the listening connection came back,
 * when notifications may have been missed and the worker should look once.
 */
export type WakeHandler = (at: number | null) => void;

/** A listening connection, closed with the engine. */
export interface WakeSubscription {
  /** Resolves once the first LISTEN is in place (or its first attempt failed and a retry is scheduled). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** The channel of a schema's store: the migration 0012_wake_notifications triggers notify on it (63 bytes at most, as PostgreSQL cuts names). */
export function wakeChannel(schema: string): string {
  return `partnerflow_wake.${schema}`.slice(0, 63);
}

/** First and longest wait between two attempts to reconnect the listening connection (ms). */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 5_000;

/** What the log says while the listening connection is away (an Outage: once, a reminder a minute, once over). */
const WAKE_CONNECTION_OUTAGE: OutageMessages = {
  started: 'the wake-up connection (LISTEN) to PostgreSQL dropped; reconnecting with backoff (50 ms doubling to 5 s); meanwhile runs made due are found by the safety poll',
  still: 'the wake-up connection (LISTEN) to PostgreSQL still cannot listen; reconnecting',
  over: (failures) => `the wake-up connection (LISTEN) to PostgreSQL listens again after ${failures} failed connections; the worker looks for due runs once`,
};

export interface WakeListenerOptions {
  /** Where the connection's drops and its return are said (an Outage); unsaid without it. */
  log?: Logger;
  heartbeat?: { everyMs: number; answerWithinMs: number };
  /** Real time in ms for the outage's reminders (performance.now() by default); tests pass their own. */
  now?: () => number;
}

/**
 * Listens for the wake notifications of one schema on a dedicated connection (LISTEN holds its
 * session: a pooled connection would be handed to queries and lose it). When the connection drops (a
 * server restart, a terminated backend) it reconnects with backoff, doubling from 50 ms up to 5 s, and
 * then calls `onWake(null)`: what was notified meanwhile is lost, so the worker claims once. While the
 * database is down that is a try every 5 s: the log says the outage once, not each try (outage.ts).
 */
export function listenForWakeups(url: string, schema: string, onWake: WakeHandler, options: WakeListenerOptions = {}): WakeSubscription {
  const heartbeat = options.heartbeat ?? WAKE_HEARTBEAT;
  // A drop alone (a pooler's or firewall's idle timeout) is routine, back in 50 ms: said at warn; the claim
  // loop says a real outage of the store at error.
  const outage = new Outage(options.log ?? silentLog, WAKE_CONNECTION_OUTAGE, { startLevel: 'warn', ...(options.now ? { now: options.now } : {}) });
  const channel = wakeChannel(schema);
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let delay = RECONNECT_FIRST_MS;
  let heartbeats: NodeJS.Timeout | null = null;
  const stopHeartbeats = () => {
    if (heartbeats) clearInterval(heartbeats);
    heartbeats = null;
  };

  const connect = async (reconnecting: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: 'partnerflow-wakeups', ...WAKE_CONNECTION_SETTINGS });
    let dropped = false;
    const drop = (why: string) => {
      if (dropped) return;
      dropped = true;
      if (client === next) stopHeartbeats();
      next.removeAllListeners('notification');
      next.end().catch(() => {});
      // A half-open connection would not answer the goodbye either: its socket is closed here, not
      // left to the operating system's keepalive.
      (next as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      if (client === next) client = null;
      if (closed) return;
      outage.failed(why, { reconnectInMs: delay });
      retry = setTimeout(() => {
        retry = null;
        void connect(true);
      }, delay);
      retry.unref?.();
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
    next.on('error', (error) => drop(error.message));
    next.on('end', () => drop('connection ended'));
    next.on('notification', (message) => {
      if (message.channel !== channel) return;
      const at = Number(message.payload);
      onWake(Number.isFinite(at) ? at : null);
    });
    try {
      await next.connect();
      await next.query(`listen "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      drop((error as Error).message);
      return;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    delay = RECONNECT_FIRST_MS;
    outage.succeeded();
    heartbeats = setInterval(() => {
      const silent = setTimeout(() => drop(`no answer to a heartbeat within ${heartbeat.answerWithinMs} ms`), heartbeat.answerWithinMs);
      silent.unref?.();
      next.query('select 1').then(
        () => clearTimeout(silent),
        (error: Error) => {
          clearTimeout(silent);
          drop(error.message);
        },
      );
    }, heartbeat.everyMs);
    heartbeats.unref?.();
    if (reconnecting) onWake(null);
  };

  const ready = connect(false);
  return {
    ready,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      stopHeartbeats();
      await ready;
      const last = client;
      client = null;
      if (last) {
        last.removeAllListeners('end');
        await last.end().catch(() => {});
      }
    },
  };
}
