import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { CORRELATION_ID_HEADER, correlationIdFor } from './correlation-id';
import type { HttpEnv } from './http.config';

/** The contract's request size limit: larger bodies get 413 before any handler runs. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Builds an app on Fastify with the suite's conventions: pino as the Nest logger, shutdown hooks
 * (SIGTERM/SIGINT stop taking requests, finish in-flight ones, then close pools and clients).
 */
export async function createHttpApp(rootModule: DynamicModule): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    requestIdHeader: false,
    genReqId: correlationIdFor,
  });
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    void reply.header(CORRELATION_ID_HEADER, request.id);
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  return app;
}

export async function listen(app: NestFastifyApplication, http: HttpEnv): Promise<void> {
  await app.listen(http.PORT, http.HOST);
  app.get(Logger).log(`listening on http://${http.HOST}:${http.PORT}`);
}
