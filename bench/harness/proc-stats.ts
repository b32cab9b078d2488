// CPU time and resident memory of a process and everything it started, read from /proc, so
// that any process can be measured the same way (a Node child whose event loop is saturated
// would answer a request for its own numbers late; socat forks a process per connection).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = clockTicks();
const PAGE_BYTES = 4096;

interface ProcStat {
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: children that exited and were waited for, in ticks. */
  reaped: number;
  rssPages: number;
}

/** CPU seconds spent so far by `pid`, its live descendants and the children it reaped. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const stat of treeOf(pid)) ticks += stat.own + stat.reaped;
  return ticks / TICKS_PER_SECOND;
}

/** Resident bytes of `pid` and its live descendants (shared pages counted in each). */
export function rssBytes(pid: number): number {
  let pages = 0;
  for (const stat of treeOf(pid)) pages += stat.rssPages;
  return pages * PAGE_BYTES;
}

function treeOf(root: number): ProcStat[] {
  const all = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.set(Number(entry), stat);
  }
  const rootStat = all.get(root);
  if (!rootStat) throw new Error(`process ${root} is gone`);
  const tree = [rootStat];
  const members = new Set([root]);
  // Parents precede children only by chance in /proc: repeat until nothing joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of all) {
      if (!members.has(pid) && members.has(stat.ppid)) {
        members.add(pid);
        tree.push(stat);
        grew = true;
      }
    }
  }
  return tree;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name is in parentheses and may hold spaces: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5).
  return {
    ppid: Number(fields[1]),
    own: Number(fields[11]) + Number(fields[12]),
    reaped: Number(fields[13]) + Number(fields[14]),
    rssPages: Number(fields[21]),
  };
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Starts a measurement; the function returned gives each process's CPU seconds since then. */
export function startCpuWindow(pids: number[]): () => Map<number, number> {
  const before = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  return () => new Map(pids.map((pid) => [pid, cpuSeconds(pid) - before.get(pid)!]));
}

export interface MachineCpuTicks {
  total: number;
  /** Time the hypervisor ran something else while this machine had work ("st" in top). */
  stolen: number;
}

/** The machine's CPU time so far, all cores, from /proc/stat's first line (undefined off Linux). */
export function machineCpuTicks(): MachineCpuTicks | undefined {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  } catch {
    return undefined;
  }
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: ticks.reduce((sum, t) => sum + t, 0), stolen: ticks[7] ?? 0 };
}
