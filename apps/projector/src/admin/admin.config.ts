import { registerAs, type ConfigType } from '@nestjs/config';
import { IsString, MinLength } from 'class-validator';
import { validateEnv } from '@app/config';

export class AdminEnv {
  /** Bearer token of the admin API; long enough that guessing it is not an option. */
  @IsString()
  @MinLength(16)
  ADMIN_TOKEN!: string;
}

/**
 * Injected with `@Inject(adminConfig.KEY)`. main.ts has checked the whole environment before the
 * app is built (loadConfig, one line per problem), so this cannot fail there.
 */
export const adminConfig = registerAs('admin', () => ({
  token: validateEnv(AdminEnv, process.env).ADMIN_TOKEN,
}));

export type AdminOptions = ConfigType<typeof adminConfig>;
