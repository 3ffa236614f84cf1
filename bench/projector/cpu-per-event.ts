import {
  CpuWindow,
  KAFKA_BROKERS_GROUP as BROKERS,
  POSTGRES_GROUP as POSTGRES,
  benchServerGroup,
  type CpuUsage,
} from '../cpu-usage';

const BENCH = 'bench';
const PROJECTOR = 'projector';

/**
 * The processes each side runs on. The baseline's rows are made and written by this process;
 * it needs no Kafka, so the brokers, idle while it runs, are not its.
 */
const SIDES = {
  projector: [PROJECTOR, POSTGRES, BROKERS],
  baseline: [BENCH, POSTGRES],
} as const;

/** CPU over one side's run, and the events it covers. */
export interface SideCpu {
  usage: CpuUsage;
  events: number;
}

/**
 * Each process's CPU (user + system time, from /proc) over one side's run. On a machine whose
 * cores both sides saturate, the ratio of their rates follows the ratio of their CPU per event:
 * this says where each side spends it. PostgreSQL is the whole server, its background writers
 * included, so what one side leaves them to do may land in the other's window. Brokers and
 * PostgreSQL given by URL are not seen here, nor is the kernel's loopback networking.
 */
export function cpuWindow(projectorPid?: number): CpuWindow {
  return new CpuWindow((pid, commandLine, parentCommandLine) => {
    if (pid === process.pid) return BENCH;
    if (pid === projectorPid) return PROJECTOR;
    return benchServerGroup(commandLine, parentCommandLine);
  });
}

/** Microseconds of CPU per event of one group; undefined when none of its processes was seen. */
function microsPerEvent({ usage, events }: SideCpu, group: string): number | undefined {
  const percentOfOneCore = usage.percentByGroup.get(group);
  if (percentOfOneCore === undefined) return undefined;
  return ((percentOfOneCore / 100) * usage.seconds * 1e6) / events;
}

/** The side's total, or undefined when one of its groups was not seen (a server given by URL). */
function sideTotal(cpu: SideCpu, side: keyof typeof SIDES): number | undefined {
  let total = 0;
  for (const group of SIDES[side]) {
    const micros = microsPerEvent(cpu, group);
    if (micros === undefined) return undefined;
    total += micros;
  }
  return total;
}

const cell = (micros: number | undefined) =>
  (micros === undefined ? '-' : micros.toFixed(1)).padStart(10);

const busyPercent = ({ usage }: SideCpu) => `${usage.machineBusyPercent.toFixed(0)} %`.padStart(10);

/** The projector's and the baseline's CPU per event by process, and the ratio of their totals. */
export function printLiveCpu(projector: SideCpu, baseline: SideCpu): void {
  console.log(`  CPU per event, µs (each process's user + system time over its side's run):`);
  console.log(`  ${''.padEnd(42)} ${'projector'.padStart(10)} ${'baseline'.padStart(10)}`);
  const row = (label: string, ofProjector?: number, ofBaseline?: number) =>
    console.log(`  ${label.padEnd(42)} ${cell(ofProjector)} ${cell(ofBaseline)}`);
  row(
    'Node: the projector / the bench',
    microsPerEvent(projector, PROJECTOR),
    microsPerEvent(baseline, BENCH),
  );
  row(POSTGRES, microsPerEvent(projector, POSTGRES), microsPerEvent(baseline, POSTGRES));
  row(BROKERS, microsPerEvent(projector, BROKERS));
  const ofProjector = sideTotal(projector, 'projector');
  const ofBaseline = sideTotal(baseline, 'baseline');
  row("the side's total", ofProjector, ofBaseline);
  console.log(`  ${'machine busy'.padEnd(42)} ${busyPercent(projector)} ${busyPercent(baseline)}`);
  const ratio =
    ofProjector === undefined || ofBaseline === undefined
      ? '-'
      : (ofBaseline / ofProjector).toFixed(2);
  console.log(`  ${'CPU per event, baseline / projector'.padEnd(42)} ${ratio.padStart(10)}`);
}

/** The replay's CPU per event by process. */
export function printReplayCpu(replay: SideCpu): void {
  console.log(`  CPU per event, µs (each process's user + system time over the replay):`);
  for (const group of SIDES.projector) {
    console.log(`  ${group.padEnd(42)} ${cell(microsPerEvent(replay, group))}`);
  }
  console.log(`  ${'total'.padEnd(42)} ${cell(sideTotal(replay, 'projector'))}`);
  console.log(`  ${'machine busy'.padEnd(42)} ${busyPercent(replay)}`);
}
