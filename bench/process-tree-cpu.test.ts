import { describe, expect, it } from 'vitest';
import { parseProcStat, processesCpuMs, treeCpuMs, type ProcStat } from './process-tree-cpu.ts';
import { percentile } from './load.ts';
import { mergedPercentiles } from './postgres-rounds.ts';

/** A /proc/<pid>/stat line with the fields the benchmark reads: ppid, utime, stime, cutime, cstime (ticks). */
const statLine = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime: number, cstime: number) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 100 1000 10 18446744073709551615`;

describe('the postgres benchmark: CPU time of a process tree', () => {
  it('reads ppid and CPU times from a stat line, a command name with spaces and parentheses included', () => {
    expect(parseProcStat(statLine(42, 'postgres: bench (x) idle', 7, 150, 50, 30, 10))).toEqual({ pid: 42, ppid: 7, ownMs: 2000, reapedChildrenMs: 400 });
  });

  it('sums the root, the children it reaped and every live descendant, and not other processes', () => {
    const stats: ProcStat[] = [
      { pid: 10, ppid: 1, ownMs: 100, reapedChildrenMs: 500 }, // postmaster; 500 ms of backends that ended
      { pid: 11, ppid: 10, ownMs: 40, reapedChildrenMs: 0 }, // a backend
      { pid: 12, ppid: 10, ownMs: 60, reapedChildrenMs: 5 }, // another, with a child it reaped
      { pid: 13, ppid: 12, ownMs: 7, reapedChildrenMs: 0 },
      { pid: 20, ppid: 1, ownMs: 9999, reapedChildrenMs: 9999 }, // not in the tree
    ];
    expect(treeCpuMs(10, stats)).toBe(100 + 500 + 40 + 60 + 5 + 7);
  });

  it('a backend that ended between two samples still counts: its time moved to the reaped children', () => {
    const before: ProcStat[] = [
      { pid: 10, ppid: 1, ownMs: 100, reapedChildrenMs: 0 },
      { pid: 11, ppid: 10, ownMs: 30, reapedChildrenMs: 0 },
    ];
    const after: ProcStat[] = [{ pid: 10, ppid: 1, ownMs: 110, reapedChildrenMs: 50 }];
    expect(treeCpuMs(10, after) - treeCpuMs(10, before)).toBe(10 + 20);
  });

  it('names a process that is not running', () => {
    expect(() => treeCpuMs(99, [])).toThrow('process 99 is not running');
  });

  it('reads this process from /proc', () => {
    expect(processesCpuMs([process.pid])).toBeGreaterThanOrEqual(0);
  });
});

describe('the postgres benchmark: percentiles merged over rounds', () => {
  it('merges the rounds before taking p50 and p99', () => {
    const a = Array.from({ length: 50 }, (_, i) => i + 1);
    const b = Array.from({ length: 50 }, (_, i) => 100 - i).reverse();
    expect(mergedPercentiles([a, b])).toEqual({ n: 100, p50Ms: 51, p99Ms: 100 });
    expect(mergedPercentiles([])).toEqual({ n: 0, p50Ms: NaN, p99Ms: NaN });
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
  });
});
