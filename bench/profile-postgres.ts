// Profiles one `partnerflow serve` on an embedded PostgreSQL under closed-loop load (issue 14):
// node bin/run-ts.js bench/profile-postgres.ts [seconds] [profile dir]. Prints CPU per completed run of
// the replica (and its user and system time: system is the kernel's, e.g. socket writes) and of
// PostgreSQL; the replica writes a .cpuprofile into the directory when it stops.
import { readFileSync } from 'node:fs';
import { generateLoad } from './load.ts';
import { BenchPostgres } from './postgres-cluster.ts';
import { ReplicasUnderTest } from './postgres-replicas.ts';

const seconds = Number(process.argv[2] ?? 15);
const dir = process.argv[3] ?? '';
const postgres = await BenchPostgres.open();
try {
  const url = await postgres.freshDatabase('profile');
  const runtime = await ReplicasUnderTest.start(url, 1, dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  try {
    const load = (s: number, prefix: string) => generateLoad({ url: runtime.urls, connections: 50, seconds: s, prepared: s * 3000, request: () => runtime.request(prefix) });
    await load(3, 'prw');
    await runtime.drain();
    const pid = runtime.servers[0]!.child.pid!;
    const userSystem = () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return [Number(f[11]) * 10, Number(f[12]) * 10] as const;
    };
    const us0 = userSystem();
    const [rt0, pg0, from] = [runtime.cpuMs(), postgres.cpuMs()!, Date.now()];
    const result = await load(seconds, 'prf');
    await runtime.drain();
    const [rt1, pg1] = [runtime.cpuMs(), postgres.cpuMs()!];
    const us1 = userSystem();
    const runs = await runtime.completed(from);
    console.log(JSON.stringify({ accepted: result.accepted, perSecond: Math.round(result.perSecond), p99Ms: result.p99Ms, runs, runtimeCpuPerRunMs: (rt1 - rt0) / runs, postgresCpuPerRunMs: (pg1 - pg0) / runs, runtimeUserMsPerRun: (us1[0] - us0[0]) / runs, runtimeSystemMsPerRun: (us1[1] - us0[1]) / runs }));
  } finally {
    await runtime.close();
  }
} finally {
  await postgres.close();
}
