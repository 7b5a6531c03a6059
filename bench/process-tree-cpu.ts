import { readdirSync, readFileSync } from 'node:fs';

/** Linux counts CPU time in clock ticks of 10 ms (USER_HZ = 100) in /proc/<pid>/stat. */
const MS_PER_TICK = 10;

/** The fields of /proc/<pid>/stat the benchmark reads, CPU times in ms. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** user + system time of the process itself. */
  ownMs: number;
  /** user + system time of its children that exited and that it waited for (cutime + cstime). */
  reapedChildrenMs: number;
}

/** Parses one /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // Fields from the 3rd on (state, ppid, ...): utime, stime, cutime, cstime are the 14th to 17th of the line.
  const fields = text.slice(close + 2).split(' ');
  const at = (n: number) => Number(fields[n - 3]);
  return { pid, ppid: at(4), ownMs: (at(14) + at(15)) * MS_PER_TICK, reapedChildrenMs: (at(16) + at(17)) * MS_PER_TICK };
}

/** Reads every process's stat line; a process that exits while this reads is left out. */
export function readAllProcStats(procDir = '/proc'): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.push(parseProcStat(readFileSync(`${procDir}/${name}/stat`, 'utf8')));
    } catch {
      // Gone between the listing and the read: its time is in its parent's reaped children now.
    }
  }
  return stats;
}

/**
 * CPU time used so far by a process and all its descendants, in ms: the root's own time, the time of
 * the children it reaped (the kernel adds an exited child's time, and its own reaped children's, to the
 * parent's cutime/cstime when the parent waits for it), and the own and reaped time of every live
 * descendant. PostgreSQL's postmaster waits for each backend that ends, so a backend that came and went
 * between two samples is counted through the postmaster's cutime; the difference of two samples is the
 * cluster's CPU time between them. (A child exiting between the listing and its read is missed once:
 * a few ticks at most.)
 */
export function treeCpuMs(rootPid: number, stats: readonly ProcStat[]): number {
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) throw new Error(`process ${rootPid} is not running: its CPU time cannot be read`);
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const s = pending.pop()!;
    total += s.ownMs + s.reapedChildrenMs;
    pending.push(...(byParent.get(s.pid) ?? []));
  }
  return total;
}

/** CPU time used so far by each of `pids` and its descendants, summed, in ms. */
export function processesCpuMs(pids: readonly number[]): number {
  const stats = readAllProcStats();
  return pids.reduce((sum, pid) => sum + treeCpuMs(pid, stats), 0);
}
