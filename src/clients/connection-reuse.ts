// undici makes a keep-alive connection reusable one event-loop turn after its response ends (client-h1.js:
// `setImmediate(client[kResume])`, "to make sure that non-spec compliant servers are not closing the connection even if
// they said they won't"). A request made before that turn finds the connection busy and opens another one, with its
// own TLS handshake, although the next request of a probe goes to the same host at once (the JWKS after the discovery
// document; a TokenRequest after the last). Measured: two connections per issuer probe, 2,000 handshakes for 1,000
// probes (bench:issuer, 2026-12-07).

/** Resolves after the event-loop turn in which undici returns a finished response's connection to its pool. */
export const connectionReusable = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
