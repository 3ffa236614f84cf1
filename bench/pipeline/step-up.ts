import { percentile } from '../open-loop';
import { driveOrderCommands } from '../order-commands';
import type { BacklogProbe } from './backlog';
import type { CpuUsage, CpuWindow } from '../cpu-usage';

export interface StepSettings {
  startRate: number;
  /** Each step offers this many times the rate of the one before, until one saturates. */
  factor: number;
  maxSteps: number;
  /** Steps between the last good rate and the first saturated one, halving the gap each time. */
  refinements: number;
  seconds: number;
}

export interface Step {
  offered: number;
  /** 2xx answers per second, from the first command due to the last 2xx. */
  achieved: number;
  /** Due time to 2xx. */
  p50Ms: number;
  p99Ms: number;
  /** The most a command went out after its due time (the driver falling behind). */
  maxLagMs: number;
  /** Commands the driver sent per second: under the offered rate, the driver itself was short. */
  sentPerSecond: number;
  /** Non-2xx answers and errors, by what they were. */
  failures: Map<string, number>;
  /** Outbox rows plus records past the projector's checkpoints when the last command was answered. */
  backlogAtEnd: number;
  /** Seconds until nothing was waiting any more; undefined if not within DRAIN_TIMEOUT_MS. */
  drainSeconds?: number;
  cpu: CpuUsage;
  /** Why this step counts as past saturation; undefined while the pipeline keeps up. */
  saturated?: string;
}

export interface StepUp {
  steps: Step[];
  /** The highest rate the pipeline kept up with; undefined if the first step was saturated. */
  sustained?: Step;
}

/** A step's backlog must be gone this soon after it: longer means the pipeline fell behind. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Offers `POST /orders` on an open loop at a rate raised by `factor` step by step until a step
 * is saturated, then narrows the gap between the last good rate and that one `refinements`
 * times. A step is saturated when fewer than 95 % of the offered commands are answered 2xx per
 * second, over 1 % of commands fail, more than 1 s of events (at the offered rate) waits in the
 * outbox or on the topic when the step ends (relay or projector at under ~90 % of the command
 * rate), that backlog is not gone within 10 s, or the driver cannot keep its schedule. The
 * pipeline drains between steps, so each starts level. Fails if nothing saturates.
 */
export async function stepUp(
  commandUrl: string,
  backlog: BacklogProbe,
  cpu: CpuWindow,
  settings: StepSettings,
  log: (message: string) => void,
): Promise<StepUp> {
  const steps: Step[] = [];
  const run = async (rate: number): Promise<Step> => {
    log(`step ${steps.length + 1}: ${rate} commands/s for ${settings.seconds} s`);
    const step = await runStep(commandUrl, backlog, cpu, rate, settings.seconds);
    steps.push(step);
    return step;
  };

  let good: Step | undefined;
  let bad: Step | undefined;
  for (let rate = settings.startRate; steps.length < settings.maxSteps;) {
    const step = await run(rate);
    if (step.saturated) {
      bad = step;
      break;
    }
    good = step;
    rate = Math.round(rate * settings.factor);
  }
  if (!bad) throw new Error(`no saturation within ${settings.maxSteps} steps: raise the rates`);
  if (!good) return { steps };
  for (let refinement = 0; refinement < settings.refinements; refinement++) {
    const rate = Math.round((good.offered + bad.offered) / 2);
    if (rate === good.offered || rate === bad.offered) break;
    const step = await run(rate);
    if (step.saturated) bad = step;
    else good = step;
  }
  return { steps, sustained: good };
}

async function runStep(
  commandUrl: string,
  backlog: BacklogProbe,
  cpu: CpuWindow,
  rate: number,
  seconds: number,
): Promise<Step> {
  cpu.start();
  const result = await driveOrderCommands(commandUrl, { rate, seconds });
  const waiting = await backlog.read();
  const usage = cpu.stop();
  const drainStarted = Date.now();
  const drained = await backlog.drained(DRAIN_TIMEOUT_MS);
  const step: Step = {
    offered: rate,
    achieved: result.placed / result.placingSeconds,
    p50Ms: percentile(result.commandMs, 50),
    p99Ms: percentile(result.commandMs, 99),
    maxLagMs: result.maxLagMs,
    sentPerSecond: result.sent / result.sendingSeconds,
    failures: result.failures,
    backlogAtEnd: waiting.outbox + waiting.projector,
    drainSeconds: drained ? (Date.now() - drainStarted) / 1000 : undefined,
    cpu: usage,
  };
  step.saturated = saturation(step, seconds);
  return step;
}

/**
 * Sustained means keeping up over the whole step; a stall of a few hundred milliseconds (a
 * broker's or PostgreSQL's pause on two shared cores) can refuse a burst of commands or delay
 * the driver once without the rate being past what the suite carries, so failures count past
 * 1 % of the offered commands and the driver's lateness only when it lasts.
 */
function saturation(step: Step, seconds: number): string | undefined {
  const failed = [...step.failures.values()].reduce((sum, n) => sum + n, 0);
  if (failed > 0.01 * step.offered * seconds) return `${failed} commands failed`;
  if (step.achieved < 0.95 * step.offered) return 'under 95 % of commands answered in time';
  if (step.backlogAtEnd > step.offered) return 'over 1 s of events waiting at the end';
  if (step.drainSeconds === undefined) return 'the backlog did not drain within 10 s';
  if (step.sentPerSecond < 0.95 * step.offered) {
    return 'the driver could not keep its schedule: the cores are saturated';
  }
  return undefined;
}
