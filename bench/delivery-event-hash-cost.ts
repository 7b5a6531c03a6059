// What the delivery's event hash costs a webhook (server/engine/delivery-event-hash.ts): the CPU of
// deliveryEventHash on the benchmark's delivery (the demo PRM's MDF request, about 700 bytes), beside
// the SHA-256 of the raw body it was chosen over and the JSON.parse every delivery already pays.
// node bin/run-ts.js bench/delivery-event-hash-cost.ts [rounds]. The three alternate in every round, so
// the machine's noise falls on each alike; it prints each one's median µs per delivery.
import { hash } from 'node:crypto';
import { deliveryEventHash } from '../server/engine/delivery-event-hash.ts';
import { deliveryBody } from './runtime-under-test.ts';

const rounds = Number(process.argv[2] ?? 15);
const PER_ROUND = 50_000;
const bodies = Array.from({ length: 1000 }, () => deliveryBody('h'));
const bytes = bodies.map((b) => Buffer.from(b));
const parsed = bodies.map((b) => JSON.parse(b) as { event: string; data: unknown });

const candidates: Record<string, (i: number) => unknown> = {
  'deliveryEventHash (canonical event)': (i) => deliveryEventHash(`prm.${parsed[i]!.event}`, parsed[i]!.data),
  'sha256 of the raw body': (i) => hash('sha256', bytes[i]!, 'hex'),
  'JSON.parse of the body (for scale)': (i) => JSON.parse(bodies[i]!),
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
let sink = 0;
for (let r = -2; r < rounds; r++) {
  for (const [name, f] of Object.entries(candidates)) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < PER_ROUND; n++) sink += f(n % bodies.length) === null ? 1 : 0;
    const us = Number(process.hrtime.bigint() - start) / PER_ROUND / 1000;
    if (r >= 0) samples[name]!.push(us); // the first two rounds warm up
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`delivery body ${bytes[0]!.length} bytes; ${rounds} rounds of ${PER_ROUND}; median µs per delivery${sink ? '' : ''}`);
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(40)} ${median(xs).toFixed(2)} µs (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`);
