// OpenTelemetry traces, configured only by the standard OTEL_* variables: off unless an exporter is asked for
// (OTEL_TRACES_EXPORTER, or an OTLP endpoint), OTLP/HTTP by the SDK's own reading of OTEL_EXPORTER_OTLP_* when on.
// Started before the agent's modules load, so the undici and AWS SDK instrumentations see every HTTP fetch, AWS call
// and cluster-API call; flushed at shutdown within a bound; a collector that is down never breaks the agent. Every
// string attribute passes the same redaction as logs and API answers before export.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { redactText } from '../redact.ts';

export interface Telemetry {
  /** Whether traces are exported. */
  readonly enabled: boolean;
  /** Flush and stop, within `timeoutMs`; never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const OFF: Telemetry = { enabled: false, shutdown: () => Promise.resolve() };

/** Whether the environment asks for trace export (the SDK's own variables decide how). */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter !== undefined && exporter !== '') return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Redacts every string attribute of a span before it is exported (processors run in order: this one first). */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parent: Context): void {}
  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value === 'string') attributes[key] = redactText(value);
      else if (Array.isArray(value))
        attributes[key] = value.map((v: unknown) => (typeof v === 'string' ? redactText(v) : v));
    }
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Starts the SDK when the environment asks for it. Call before importing the agent. A failure to start is reported
 * through `warn` and leaves tracing off.
 */
export async function startTelemetry(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string, err?: unknown) => void = () => {},
): Promise<Telemetry> {
  if (!tracingWanted(env)) return OFF;
  try {
    const [
      { NodeSDK },
      { BatchSpanProcessor },
      { UndiciInstrumentation },
      { AwsInstrumentation },
      { OTLPTraceExporter },
    ] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/instrumentation-aws-sdk'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
    const sdk = new NodeSDK({
      serviceName: env.OTEL_SERVICE_NAME ?? 'irsa-sentinel',
      // OTLP/HTTP; the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT itself.
      spanProcessors: [new RedactingSpanProcessor(), new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
      instrumentations: [
        new UndiciInstrumentation(),
        new AwsInstrumentation({ suppressInternalInstrumentation: true }),
      ],
    });
    sdk.start();
    // Probe runs get their spans (and results their trace ids) only now: without tracing nothing of it is loaded.
    const [{ inOtelProbeSpan }, { useProbeSpans }] = await Promise.all([
      import('./probe-span-otel.ts'),
      import('./probe-span.ts'),
    ]);
    useProbeSpans(inOtelProbeSpan);
    return {
      enabled: true,
      async shutdown(timeoutMs = 5_000) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
        try {
          await Promise.race([sdk.shutdown(), late]);
        } catch (err) {
          warn('flushing traces at shutdown failed', err);
        } finally {
          clearTimeout(timer);
        }
      },
    };
  } catch (err) {
    warn('OpenTelemetry could not start; tracing is off', err);
    return OFF;
  }
}
