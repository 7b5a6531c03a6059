/**
 * Whether a listening address is reachable from this machine only: 127.0.0.0/8, ::1, localhost. What
 * may be served only to this machine (mock mode's open API, the test clock) is refused elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const address = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (address === 'localhost' || address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  return /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}
