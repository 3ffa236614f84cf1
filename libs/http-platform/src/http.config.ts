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

  /** Requests worked on at once; the next is answered 503 OVERLOADED with Retry-After at once. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  HTTP_MAX_IN_FLIGHT: number = 1_024;
}
