import { BENCH_KAFKA_DIR } from '../bench-kafka';
import { BENCH_POSTGRES_DIR } from '../commands/bench-infra';
import { CpuWindow, type CpuUsage } from '../cpu-usage';

const BENCH = 'bench';
const PROJECTOR = 'projector';
const POSTGRES = 'postgresql';
const BROKERS = 'kafka brokers (3)';

/**
 * The processes each side runs on. The baseline's rows are made and written by this process;
 * it needs no Kafka, so the brokers, idle while it runs, are not its.
 */
const SIDES = {
  projector: [PROJECTOR, POSTGRES, BROKERS],
  baseline: [BENCH, POSTGRES],
} as const;

/**
 * Each process's CPU (user + system time, from /proc) over one side's run. On a machine whose
 * cores both sides saturate, the ratio of their rates follows the ratio of their CPU per event:
 * this says where each side spends it. Brokers and PostgreSQL given by URL are not seen here.
 */
export function cpuWindow(projectorPid: number | undefined): CpuWindow {
  return new CpuWindow((pid, commandLine, parentCommandLine) => {
    if (pid === process.pid) return BENCH;
    if (pid === projectorPid) return PROJECTOR;
    if (commandLine.includes(BENCH_KAFKA_DIR)) return BROKERS;
    if (`${commandLine} ${parentCommandLine}`.includes(BENCH_POSTGRES_DIR)) return POSTGRES;
    return undefined;
  });
}

/** Microseconds of CPU per event of one process group over a window. */
function microsPerEvent(usage: CpuUsage, group: string, events: number): number {
  const percentOfOneCore = usage.percentByGroup.get(group) ?? 0;
  return ((percentOfOneCore / 100) * usage.seconds * 1e6) / events;
}

function sideTotal(usage: CpuUsage, side: keyof typeof SIDES, events: number): number {
  return SIDES[side].reduce((sum, group) => sum + microsPerEvent(usage, group, events), 0);
}

const busyPercent = (usage: CpuUsage) => `${usage.machineBusyPercent.toFixed(0)} %`.padStart(10);

const cell = (micros: number | undefined) =>
  (micros === undefined ? '-' : micros.toFixed(1)).padStart(10);

/** The projector's and the baseline's CPU per event by process, and the ratio of their totals. */
export function printLiveCpu(projector: CpuUsage, baseline: CpuUsage, events: number): void {
  console.log(`  CPU per event, µs (each process's user + system time over its side's run):`);
  console.log(`  ${''.padEnd(42)} ${'projector'.padStart(10)} ${'baseline'.padStart(10)}`);
  const row = (label: string, ofProjector?: number, ofBaseline?: number) =>
    console.log(`  ${label.padEnd(42)} ${cell(ofProjector)} ${cell(ofBaseline)}`);
  row(
    'Node: the projector / the bench',
    microsPerEvent(projector, PROJECTOR, events),
    microsPerEvent(baseline, BENCH, events),
  );
  row(
    POSTGRES,
    microsPerEvent(projector, POSTGRES, events),
    microsPerEvent(baseline, POSTGRES, events),
  );
  row(BROKERS, microsPerEvent(projector, BROKERS, events));
  const ofProjector = sideTotal(projector, 'projector', events);
  const ofBaseline = sideTotal(baseline, 'baseline', events);
  row("the side's total", ofProjector, ofBaseline);
  console.log(`  ${'machine busy'.padEnd(42)} ${busyPercent(projector)} ${busyPercent(baseline)}`);
  console.log(
    `  ${'CPU per event, baseline / projector'.padEnd(42)} ${(ofBaseline / ofProjector).toFixed(2).padStart(10)}`,
  );
}

/** The replay's CPU per event by process. */
export function printReplayCpu(replay: CpuUsage, events: number): void {
  console.log(`  CPU per event, µs (each process's user + system time over the replay):`);
  for (const group of SIDES.projector) {
    console.log(`  ${group.padEnd(42)} ${cell(microsPerEvent(replay, group, events))}`);
  }
  console.log(`  ${'total'.padEnd(42)} ${cell(sideTotal(replay, 'projector', events))}`);
  console.log(`  ${'machine busy'.padEnd(42)} ${busyPercent(replay)}`);
}
