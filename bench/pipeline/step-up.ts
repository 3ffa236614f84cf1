import { driveReadYourWrites, percentile } from '../queries/read-your-writes';
import type { BacklogProbe } from './backlog';
import type { CpuUsage, CpuWindow } from './cpu-usage';

export interface StepSettings {
  startRate: number;
  /** Each step offers this many times the rate of the one before. */
  factor: number;
  maxSteps: number;
  seconds: number;
  /** How long the pipeline may take to empty its backlog after a step. */
  drainTimeoutMs: number;
}

export interface Step {
  offered: number;
  /** 2xx answers per second, from the first command sent to the last 2xx. */
  achieved: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers and errors, by what they were. */
  failures: Map<string, number>;
  /** Outbox rows plus records past the projector's checkpoints when the last command was answered. */
  backlogAtEnd: number;
  /** Seconds until nothing was waiting any more; undefined if not within drainTimeoutMs. */
  drainSeconds?: number;
  cpu: CpuUsage;
  /** Why this step counts as past saturation; undefined while the pipeline keeps up. */
  saturated?: string;
}

/**
 * Offers `POST /orders` on an open loop at a rate raised step by step, until a step is
 * saturated: fewer than 95 % of the offered commands answered 2xx per second, any command
 * failing, more than 2 s of events waiting when the step ends (relay or projector not keeping
 * up), or the backlog not emptying within drainTimeoutMs. Between steps the pipeline drains,
 * so that each step starts level.
 */
export async function stepUp(
  commandUrl: string,
  backlog: BacklogProbe,
  cpu: CpuWindow,
  settings: StepSettings,
  log: (message: string) => void,
): Promise<Step[]> {
  const steps: Step[] = [];
  let rate = settings.startRate;
  for (let index = 0; index < settings.maxSteps; index++) {
    log(`step ${index + 1}: ${rate} commands/s for ${settings.seconds} s`);
    cpu.start();
    const result = await driveReadYourWrites(commandUrl, undefined, {
      rate,
      seconds: settings.seconds,
      waitMs: 0,
    });
    const waiting = await backlog.read();
    const usage = cpu.stop();
    const drainStarted = Date.now();
    const drained = await backlog.drained(settings.drainTimeoutMs);
    const step: Step = {
      offered: rate,
      achieved: result.placed / result.placingSeconds,
      p50Ms: percentile(result.commandMs, 50),
      p99Ms: percentile(result.commandMs, 99),
      failures: result.failures,
      backlogAtEnd: waiting.outbox + waiting.projector,
      drainSeconds: drained ? (Date.now() - drainStarted) / 1000 : undefined,
      cpu: usage,
    };
    step.saturated = saturation(step);
    steps.push(step);
    if (step.saturated) break;
    rate = Math.round(rate * settings.factor);
  }
  return steps;
}

function saturation(step: Step): string | undefined {
  const failed = [...step.failures.values()].reduce((sum, n) => sum + n, 0);
  if (failed > 0) return `${failed} commands failed`;
  if (step.achieved < 0.95 * step.offered) return 'fewer than 95 % of commands answered in time';
  if (step.backlogAtEnd > 2 * step.offered) return 'more than 2 s of events waiting at the end';
  if (step.drainSeconds === undefined) return 'the backlog did not drain';
  return undefined;
}
