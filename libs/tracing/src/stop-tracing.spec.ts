import { createServer } from 'node:net';
import { inSpan } from './in-span';
import { isTracing, startTracing, stopTracing } from './tracing';

/** The app's shutdown calls stopTracing: a collector that is down must not make it fail. */
describe('stopping tracing with the collector down', () => {
  let endpoint: string;

  beforeAll(async () => {
    // A port nothing listens on: taken from the OS, then given back.
    endpoint = await new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(`http://127.0.0.1:${port}/v1/traces`));
      });
    });
  });

  it('exports what it can and resolves, whatever the exporter says', async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = endpoint;
    expect(startTracing('stop-test', { OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    await inSpan('a span to export', {}, () => Promise.resolve());
    expect(isTracing()).toBe(true);

    await expect(stopTracing()).resolves.toBeUndefined();
    expect(isTracing()).toBe(false);
  });
});
