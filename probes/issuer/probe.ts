// The issuer probe: GET the discovery document and then its jwks_uri the way STS does (anonymous, HTTPS, TLS
// verified, bounded in time and size), and report what STS would stumble on. The checks are in issuer-checks.ts.
import { declared } from '../../src/core/probe.ts';
import { issuerProbe as declaration } from './index.ts';
import { FetchError } from '../../src/clients/http.ts';
import type { FetchOptions, FetchResponse, HttpFetcher } from '../../src/clients/http.ts';
import { issuerSettings } from './settings.ts';
import type { IssuerProbeSettings } from './settings.ts';
import { finding } from './findings.ts';
import type { Finding } from '../../src/core/model.ts';
import type { Probe } from '../../src/core/probe.ts';
import * as check from './checks.ts';
import { documentUrlVerdict, issuerGuard } from '../shared/fetch-policy.ts';
import { boundFinding } from '../shared/bounded.ts';
import { clip } from '../shared/json-body.ts';

/** The settings a config without `probes.issuer` gets. */
export const ISSUER_PROBE_DEFAULTS: IssuerProbeSettings = issuerSettings.parse(undefined);

/** Each document is waited for up to this many times STS's budget, so a slow issuer is measured, not just cut off. */
const WAIT_FACTOR = 2;

const get = (http: HttpFetcher, url: string, opts: FetchOptions): Promise<FetchResponse | FetchError> =>
  http.get(url, opts).catch((err: unknown) => {
    if (err instanceof FetchError) return err;
    throw err;
  });

export function createIssuerProbe(settings: IssuerProbeSettings): Probe {
  return {
    ...declared(declaration),
    async run(cluster, ctx) {
      const findings: Finding[] = [];
      const observations: Record<string, unknown> = {};
      const answered: FetchResponse[] = [];
      const note = (f: Finding | undefined): void => void (f && findings.push(f));
      const opts: FetchOptions = {
        connectTimeoutMs: settings.connectTimeoutMs,
        totalTimeoutMs: settings.failLatencyMs * WAIT_FACTOR,
        maxBytes: settings.maxBytes,
        signal: ctx.signal,
        ...(cluster.caPem !== undefined && { ca: cluster.caPem }),
      };

      const inspect = async (): Promise<void> => {
        const own = issuerGuard(cluster, settings.allowPrivateAddresses);
        const discovery = await get(ctx.http, check.discoveryUrlOf(cluster.issuer), {
          ...opts,
          ...(own && { guard: own }),
        });
        if (discovery instanceof FetchError)
          return note(
            check.fetchErrorFinding('ISSUER_UNREACHABLE', 'DISCOVERY_INVALID', 'discovery document', discovery),
          );
        answered.push(discovery);
        observations.discoveryLatencyMs = discovery.latencyMs;
        if (discovery.tls) observations.tlsValidTo = discovery.tls.validTo.toISOString();
        note(check.tlsExpiryFinding(discovery, ctx.now(), settings.tlsExpiryWarnDays));
        if (discovery.status !== 200)
          return note(check.httpErrorFinding('ISSUER_HTTP_ERROR', 'discovery document', discovery));

        const parsed = check.parseJsonObject(discovery.body);
        const doc = 'value' in parsed ? parsed.value : {};
        const evidence = { url: discovery.url, contentType: discovery.headers['content-type'] };
        for (const problem of 'problem' in parsed ? [parsed.problem] : check.discoveryProblems(doc))
          note(
            finding('DISCOVERY_INVALID', `The discovery document ${problem}.`, { subject: discovery.url, evidence }),
          );
        if (typeof doc.issuer === 'string') {
          observations.discoveryIssuer = doc.issuer;
          note(check.issuerMismatchFinding(cluster.issuer, doc.issuer, discovery.url));
        }
        const jwksUri = doc.jwks_uri;
        if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) return;
        observations.jwksUri = jwksUri;
        // The document chooses this URL: https only, and never an address of the agent's own network.
        const verdict = documentUrlVerdict(jwksUri, cluster, settings.allowPrivateAddresses);
        if (!verdict.fetch && verdict.insecure)
          return note(
            finding('JWKS_URI_INSECURE', `jwks_uri ${clip(jwksUri)} is not https, so STS will not fetch it.`, {
              subject: jwksUri,
              evidence: { jwksUri },
            }),
          );
        if (!verdict.fetch) return note(check.jwksUriRefusedFinding(jwksUri, verdict.reason, verdict));

        const jwks = await get(ctx.http, jwksUri, { ...opts, ...(verdict.guard && { guard: verdict.guard }) });
        if (jwks instanceof FetchError && jwks.code === 'ADDRESS_REFUSED')
          return note(check.jwksUriRefusedFinding(jwksUri, jwks.message));
        if (jwks instanceof FetchError)
          return note(check.fetchErrorFinding('JWKS_HTTP_ERROR', 'JWKS_INVALID', 'JWKS', jwks));
        answered.push(jwks);
        observations.jwksLatencyMs = jwks.latencyMs;
        if (new URL(jwksUri).host !== new URL(discovery.url).host)
          note(check.tlsExpiryFinding(jwks, ctx.now(), settings.tlsExpiryWarnDays));
        if (jwks.status !== 200) return note(check.httpErrorFinding('JWKS_HTTP_ERROR', 'JWKS', jwks));
        const { kids, problems } = await check.checkJwks(jwks.body);
        observations.kids = kids;
        for (const problem of problems) note(check.jwksFinding(problem, jwks));
      };

      await inspect();
      note(check.slowFinding(answered, cluster.issuer, settings.warnLatencyMs, settings.failLatencyMs));
      // Whatever the host sent, the result stays small (bounded.ts).
      return { findings: findings.map(boundFinding), observations };
    },
  };
}

export const issuerProbe: Probe = createIssuerProbe(ISSUER_PROBE_DEFAULTS);
