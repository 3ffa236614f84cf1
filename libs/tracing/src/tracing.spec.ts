import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { linksFromHeaders, traceHeaders } from './trace-headers';
import { isTracing, samplerFrom, tracesExporters } from './tracing';

describe('tracing configuration (OTEL_* variables)', () => {
  it('is off unless OTEL_TRACES_EXPORTER names an exporter', () => {
    expect(tracesExporters({})).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: ' OTLP , console,otlp' })).toEqual([
      'otlp',
      'console',
    ]);
  });

  it('is off with OTEL_SDK_DISABLED=true, whatever the exporter', () => {
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' })).toEqual(
      [],
    );
  });

  it('refuses an exporter it does not have, naming the ones it has', () => {
    expect(() => tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp,zipkin' })).toThrow(
      'OTEL_TRACES_EXPORTER: zipkin is not an exporter here (console, otlp or none)',
    );
  });

  it('samples as OTEL_TRACES_SAMPLER says, following the caller by default', () => {
    expect(samplerFrom({}).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(
      samplerFrom({
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }).toString(),
    ).toBe('TraceIdRatioBased{0.25}');
    expect(() => samplerFrom({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(
      /OTEL_TRACES_SAMPLER: jaeger_remote is not a sampler here/,
    );
  });

  it('writes no trace headers while off', () => {
    expect(isTracing()).toBe(false);
    expect(traceHeaders()).toEqual({});
  });
});

describe('links from record headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  const traceparent = (trace: string, span: string) =>
    `00-${trace.repeat(32)}-${span.repeat(16)}-01`;

  it('links each distinct producing span once and ignores records without a valid context', () => {
    const links = linksFromHeaders([
      { headers: { traceparent: traceparent('a', '1') } },
      { headers: { traceparent: traceparent('a', '1') } },
      { headers: { traceparent: traceparent('b', '2') } },
      { headers: {} },
      { headers: { traceparent: 'not-a-traceparent' } },
      { headers: { traceparent: traceparent('0', '3') } },
    ]);
    expect(links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([
      ['a'.repeat(32), '1'.repeat(16)],
      ['b'.repeat(32), '2'.repeat(16)],
    ]);
  });
});
