// A probe run inside its trace span when tracing is on (tracing.ts installs probe-span-otel.ts once the OpenTelemetry
// SDK has started); otherwise the run as it is, with neither @opentelemetry/api nor a no-op span loaded or made.
import type { ProbeResult } from '../core/model.ts';

type ProbeSpan = (cluster: string, probe: string, run: () => Promise<ProbeResult>) => Promise<ProbeResult>;

let spans: ProbeSpan | undefined;

/** From now on every probe run goes through `span` (tracing.ts, once the SDK runs). */
export function useProbeSpans(span: ProbeSpan): void {
  spans = span;
}

/** Runs a probe run inside its span when tracing is on and returns its result (with the trace id when recorded). */
export function inProbeSpan(cluster: string, probe: string, run: () => Promise<ProbeResult>): Promise<ProbeResult> {
  return spans ? spans(cluster, probe, run) : run();
}
