/**
 * How the wake-up listener's dedicated connection (wake-notifications.ts) is opened. It only listens,
 * so a failover that leaves it half-open (the old primary gone without closing it) would never be
 * noticed, and wakeups would fall back to the worker's safety poll: TCP keepalive probes start after
 * `keepAliveInitialDelayMillis` of silence, and a dead peer then errors the connection, which is
 * opened again. A server that takes the TCP connection and never answers the login is given up after
 * `connectionTimeoutMillis`, and retried with backoff. (How often the probes repeat, and how many,
 * is the operating system's: net.ipv4.tcp_keepalive_intvl and tcp_keepalive_probes on Linux, by
 * default minutes: hence also WAKE_HEARTBEAT.)
 */
export const WAKE_CONNECTION_SETTINGS = {
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  connectionTimeoutMillis: 5_000,
} as const;

/**
 * A listening connection receives and never asks, so a peer that went silent (a failover behind a
 * proxy, a dropped route) shows only when the connection is used: every `everyMs` the listener asks
 * `select 1`, and a connection that has not answered within `answerWithinMs` is dropped and opened
 * again, as after an error. Keepalive probes alone would take the operating system's minutes.
 */
export const WAKE_HEARTBEAT = { everyMs: 15_000, answerWithinMs: 5_000 } as const;
