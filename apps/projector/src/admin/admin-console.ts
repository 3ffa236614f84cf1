import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export const ADMIN_CONSOLE_PATH = '/admin/console';

/**
 * The page may run only its own script and style and talk only to its own origin; no frame may
 * hold it (clickjacking the retry and skip buttons) and no referrer leaves it.
 */
const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * Serves the admin console's static files (apps/projector/console; the build copies them beside
 * the compiled app). The page itself is public: everything it shows comes from the /admin API,
 * which wants the token.
 */
export async function serveAdminConsole(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyStatic, {
    root: consoleDirectory(),
    prefix: ADMIN_CONSOLE_PATH,
    // /admin/console answers with a redirect to /admin/console/, where the page's relative
    // links resolve.
    redirect: true,
    index: 'index.html',
    // Swagger's UI registers @fastify/static too: one reply decorator is enough.
    decorateReply: false,
    setHeaders: (reply) => void reply.headers(CONSOLE_HEADERS),
  });
}

/** apps/projector/console, from src/admin (tests, tsx) or from dist's copy (built app). */
function consoleDirectory(): string {
  const directory = join(__dirname, '../../console');
  if (!existsSync(join(directory, 'index.html'))) {
    throw new Error(`the admin console's files are missing from ${directory}: run npm run build`);
  }
  return directory;
}
