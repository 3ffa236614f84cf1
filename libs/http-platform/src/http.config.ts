import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';

export class HttpEnv {
  @IsString()
  HOST: string = '127.0.0.1';

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT!: number;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Requests worked on at once; the next ones wait in line (see admission.ts). */
  @IsInt()
  @Min(1)
  @Max(100_000)
  HTTP_MAX_IN_FLIGHT: number = 1_024;

  /** Requests waiting in line at most; the next is answered 503 OVERLOADED at once. */
  @IsInt()
  @Min(0)
  @Max(100_000)
  HTTP_MAX_QUEUED: number = 1_024;

  /**
   * How long a request waits in line for its turn before it is answered 503 OVERLOADED: room for
   * a burst. A line that has not emptied for this long means overload (see admission.ts).
   */
  @IsInt()
  @Min(0)
  @Max(60_000)
  HTTP_MAX_QUEUE_MS: number = 100;

  /**
   * While overloaded, requests worked on at once (at most HTTP_MAX_IN_FLIGHT): an accepted
   * request waits about this many divided by the rate behind the others, so fewer than a burst
   * needs keeps its latency down.
   */
  @IsInt()
  @Min(1)
  @Max(100_000)
  HTTP_OVERLOAD_IN_FLIGHT: number = 1_024;

  /** While overloaded, how long a newcomer waits in line: the excess is refused at once. */
  @IsInt()
  @Min(0)
  @Max(60_000)
  HTTP_OVERLOAD_QUEUE_MS: number = 5;
}
