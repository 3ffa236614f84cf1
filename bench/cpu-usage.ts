import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { BENCH_KAFKA_DIR } from './bench-kafka';
import { BENCH_POSTGRES_DIR } from './commands/bench-infra';

/** Clock ticks per second of /proc's utime and stime (100 on common Linux builds). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/**
 * Names a process by its pid, its command line and its parent's (PostgreSQL's backends say
 * little of themselves, their postmaster names its data directory); undefined leaves it out.
 */
export type ProcessNamer = (
  pid: number,
  commandLine: string,
  parentCommandLine: string,
) => string | undefined;

export const KAFKA_BROKERS_GROUP = 'kafka brokers (3)';
export const POSTGRES_GROUP = 'postgresql';

/**
 * The group of a process of the servers the benches start themselves (.local/bench): a broker,
 * or PostgreSQL (its backends by their postmaster's command line). Servers given by URL are not
 * seen here.
 */
export function benchServerGroup(
  commandLine: string,
  parentCommandLine: string,
): string | undefined {
  if (commandLine.includes(BENCH_KAFKA_DIR)) return KAFKA_BROKERS_GROUP;
  if (`${commandLine} ${parentCommandLine}`.includes(BENCH_POSTGRES_DIR)) return POSTGRES_GROUP;
  return undefined;
}

/** CPU seconds used per named group, and by the whole machine, over one window. */
export interface CpuUsage {
  seconds: number;
  /** Per group: percent of one core (200 = both cores of a 2-core machine). */
  percentByGroup: Map<string, number>;
  /** Busy percent of all cores together (100 = every core busy). */
  machineBusyPercent: number;
}

/**
 * Samples /proc at `start()` and `stop()`: each process's utime + stime summed per group that
 * `name` gives it, and the machine's busy share from /proc/stat. A process that starts inside
 * the window counts whole; one that ends inside it counts for nothing, which is why the window
 * should hold long-running processes (brokers, PostgreSQL's backends, the apps).
 */
export class CpuWindow {
  private before?: { at: bigint; ticks: Map<number, ProcessTicks>; machine: MachineTicks };

  constructor(private readonly name: ProcessNamer) {}

  start(): void {
    this.before = { at: process.hrtime.bigint(), ticks: this.sample(), machine: machineTicks() };
  }

  stop(): CpuUsage {
    const before = this.before;
    if (!before) throw new Error('CpuWindow: start() first');
    const seconds = Number(process.hrtime.bigint() - before.at) / 1e9;
    const after = this.sample();
    const machine = machineTicks();
    const percentByGroup = new Map<string, number>();
    for (const [pid, now] of after) {
      const earlier = before.ticks.get(pid);
      // A pid reused by another process since the first sample starts from zero.
      const used = earlier && earlier.startTime === now.startTime ? now.cpu - earlier.cpu : now.cpu;
      const percent = (used / TICKS_PER_SECOND / seconds) * 100;
      percentByGroup.set(now.group, (percentByGroup.get(now.group) ?? 0) + percent);
    }
    const busy = machine.busy - before.machine.busy;
    const total = busy + machine.idle - before.machine.idle;
    return { seconds, percentByGroup, machineBusyPercent: total > 0 ? (busy / total) * 100 : 0 };
  }

  private sample(): Map<number, ProcessTicks> {
    const ticks = new Map<number, ProcessTicks>();
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      try {
        const { parent, ...used } = processTicks(pid);
        const group = this.name(pid, commandLineOf(pid), commandLineOf(parent));
        if (group === undefined) continue;
        ticks.set(pid, { group, ...used });
      } catch {
        // Ended between listing /proc and reading it.
      }
    }
    return ticks;
  }
}

interface ProcessTicks {
  group: string;
  cpu: number;
  startTime: string;
}

function processTicks(pid: number): Omit<ProcessTicks, 'group'> & { parent: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // proc(5): ppid is field 4, utime 14, stime 15, starttime 22; fields[0] here is field 3.
  return {
    parent: Number(fields[1]),
    cpu: Number(fields[11]) + Number(fields[12]),
    startTime: fields[19],
  };
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

interface MachineTicks {
  busy: number;
  idle: number;
}

function machineTicks(): MachineTicks {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}
