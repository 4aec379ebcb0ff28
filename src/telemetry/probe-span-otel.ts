// One trace per probe run: a span `probe <name>` around the run, so the fetcher's HTTP requests, the AWS SDK's calls
// and the cluster-API calls made inside it are its children (the undici and AWS SDK instrumentations, tracing.ts).
// Loaded by tracing.ts once the SDK has started (probe-span.ts then hands every run to it); without tracing neither
// this module nor @opentelemetry/api is loaded and results carry no trace id.
import { SpanStatusCode, TraceFlags, isSpanContextValid, trace } from '@opentelemetry/api';
import type { ProbeResult } from '../core/model.ts';

const tracer = trace.getTracer('irsa-sentinel');

/** Runs a probe run inside its span and returns its result with the trace id when the span is recorded. */
export function inOtelProbeSpan(cluster: string, probe: string, run: () => Promise<ProbeResult>): Promise<ProbeResult> {
  return tracer.startActiveSpan(
    `probe ${probe}`,
    {
      attributes: {
        cluster,
        probe,
        // Semantic conventions for synthetic checks: a test case per (probe, cluster), run by a bot.
        'test.suite.name': 'irsa-sentinel',
        'test.case.name': `${probe} ${cluster}`,
        'user_agent.synthetic.type': 'test',
      },
    },
    async (span) => {
      try {
        const result = await run();
        span.setAttributes({
          status: result.status,
          findings: result.findings.map((f) => f.code),
          'test.case.result.status': result.status === 'ok' || result.status === 'warn' ? 'pass' : 'fail',
        });
        if (result.status === 'fail')
          span.setStatus({ code: SpanStatusCode.ERROR, message: `${probe} found a failure` });
        const ctx = span.spanContext();
        const recorded = isSpanContextValid(ctx) && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0;
        return recorded ? { ...result, traceId: ctx.traceId } : result;
      } finally {
        span.end();
      }
    },
  );
}
