// The lab's single HTTPS listener: authenticates SigV4, then routes each request to the service the AWS SDK meant.
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLOUDFRONT_PATH_PREFIX } from './clusters.ts';
import { parseAuthorization, verifySigV4 } from './sigv4.ts';
import type { LabCounters } from './stats.ts';
import type { LabState } from './state.ts';
import { jsonError, newRequestId, queryError, s3Error } from './wire.ts';
import type { Caller, LabHandler, LabRequest, LabResponse } from './wire.ts';

export type ServiceName = 's3' | 's3control' | 'sts' | 'iam' | 'cloudtrail' | 'cloudfront' | 'kube' | 'control';

export type ServiceHandlers = Record<ServiceName, LabHandler>;

const STS_ACTIONS = new Set(['AssumeRoleWithWebIdentity', 'GetCallerIdentity', 'AssumeRole', 'GetSessionToken']);
const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** Which service a request is for, the way LocalStack's edge decides it (issue #2: target, Action, prefix, else S3). */
export function routeOf(path: string, headers: LabRequest['headers'], body: Buffer): ServiceName {
  if (path.startsWith('/_lab/')) return 'control';
  if (path === '/_clusters' || path.startsWith('/_clusters/')) return 'kube';
  if (path.startsWith(CLOUDFRONT_PATH_PREFIX)) return 'cloudfront';
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('CloudTrail_20131101.')) return 'cloudtrail';
  const contentType = String(headers['content-type'] ?? '');
  if (path === '/' && contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
    return STS_ACTIONS.has(action) ? 'sts' : 'iam';
  }
  if (path.startsWith('/v20180820/')) return 's3control';
  return 's3';
}

/** An authentication failure in the wire format of the service that was called. */
function authError(
  service: ServiceName,
  status: number,
  code: string,
  message: string,
  requestId: string,
): LabResponse {
  switch (service) {
    case 'sts':
      return queryError(status, code, message, requestId, STS_XMLNS);
    case 'iam':
      return queryError(status, code, message, requestId, IAM_XMLNS);
    case 'cloudtrail':
      return jsonError(400, code, message, requestId);
    default:
      return s3Error(status, code, message, requestId);
  }
}

type Authenticated = { caller: Caller; region?: string; service?: string } | { error: LabResponse };

async function authenticate(
  state: LabState,
  service: ServiceName,
  req: FastifyRequest,
  body: Buffer,
  requestId: string,
): Promise<Authenticated> {
  const auth = req.headers.authorization;
  // CloudFront viewers are not SigV4 callers: a distribution reads its origin as its own identity.
  if (auth === undefined || service === 'kube' || service === 'control' || service === 'cloudfront') {
    return { caller: { kind: 'anonymous' } };
  }
  const scope = parseAuthorization(auth);
  if (!scope) {
    return {
      error: authError(service, 400, 'IncompleteSignature', 'Authorization header requires SigV4 fields.', requestId),
    };
  }
  const invalidToken = (): LabResponse =>
    authError(
      service,
      403,
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      requestId,
    );
  const user = state.userByAccessKey(scope.accessKeyId);
  const session = user ? undefined : state.sessions.get(scope.accessKeyId);
  if (!user && !session) {
    return service === 's3' || service === 's3control'
      ? {
          error: authError(
            service,
            403,
            'InvalidAccessKeyId',
            'The AWS Access Key Id you provided does not exist in our records.',
            requestId,
          ),
        }
      : { error: invalidToken() };
  }
  if (session) {
    if (req.headers['x-amz-security-token'] !== session.sessionToken) return { error: invalidToken() };
    if (session.expiration.getTime() < Date.now()) {
      return {
        error: authError(
          service,
          403,
          'ExpiredToken',
          'The security token included in the request is expired',
          requestId,
        ),
      };
    }
  }
  const outcome = await verifySigV4({
    method: req.method,
    rawUrl: req.url,
    headers: req.headers,
    body,
    secretAccessKey: (user ?? session)!.secretAccessKey,
    ...(session ? { sessionToken: session.sessionToken } : {}),
  });
  if (!outcome.ok) return { error: authError(service, 403, outcome.code, outcome.message, requestId) };
  const caller: Caller = user
    ? { kind: 'user', user, accessKeyId: scope.accessKeyId }
    : { kind: 'session', session: session!, accessKeyId: scope.accessKeyId };
  return { caller, region: scope.region, service: scope.service };
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

async function send(req: FastifyRequest, reply: FastifyReply, res: LabResponse): Promise<void> {
  if (res.delayMs) {
    // Watch this response, not the socket: a keep-alive socket serves many requests, and a listener per request
    // on it would pile up (MaxListenersExceededWarning). The response closes early only if the client goes away.
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    reply.raw.once('close', onClose);
    try {
      await sleep(res.delayMs, undefined, { signal: gone.signal });
    } catch {
      return; // the client went away while we were being slow
    } finally {
      reply.raw.off('close', onClose);
    }
  }
  if (res.reset) {
    // A TCP reset, as a dead issuer host gives (issuer-down fault).
    reply.hijack();
    // On a TLS socket resetAndDestroy() throws ERR_INVALID_HANDLE_TYPE: reset the TCP socket beneath it.
    const tls = req.raw.socket as import('node:net').Socket & { _parent?: import('node:net').Socket };
    (tls._parent ?? tls).resetAndDestroy();
    tls.destroy();
    return;
  }
  reply.code(res.status).headers(res.headers ?? {});
  // No payload at all when there is no body, so Fastify adds nothing (e.g. a charset on a HEAD reply).
  await (res.body === undefined ? reply.send() : reply.send(res.body));
}

export interface EdgeOptions {
  state: LabState;
  handlers: ServiceHandlers;
  https: { key: string; cert: string };
  /** Region assumed for unsigned requests. */
  defaultRegion: string;
  logger?: boolean;
  /**
   * For a connection to one of the issuers' own addresses (issuer-hosts.ts): the issuer's path there (e.g.
   * `/demo-oidc`), the only paths that host answers; undefined for the lab's own address, which answers everything.
   */
  issuerPathOn?: (localAddress: string) => string | undefined;
  /** Counts what was served (GET /_lab/v1/stats). */
  counters?: LabCounters;
}

/** What a host that is only one issuer answers for any other path: S3's answer for a bucket it does not have. */
function notThisHost(path: string, requestId: string): LabResponse {
  const segment = path.split('/')[1] ?? '';
  let bucket = segment;
  try {
    bucket = decodeURIComponent(segment);
  } catch {
    // kept as sent
  }
  return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', requestId, { BucketName: bucket });
}

const within = (path: string, prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);

export function createEdge(opts: EdgeOptions): FastifyInstance {
  const app = Fastify({
    https: opts.https,
    logger: opts.logger ?? false,
    forceCloseConnections: true,
    bodyLimit: 32 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.all('/*', async (req, reply) => {
    const requestId = newRequestId();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const url = new URL(req.url, 'https://lab.invalid');
    const issuerPath = opts.issuerPathOn?.(req.socket.localAddress ?? '');
    if (issuerPath !== undefined && !within(url.pathname, issuerPath)) {
      opts.counters?.served('s3', url.pathname, 404);
      return await send(req, reply, notThisHost(url.pathname, requestId));
    }
    const service = routeOf(url.pathname, req.headers, body);
    const answer = async (res: LabResponse): Promise<void> => {
      opts.counters?.served(service, url.pathname, res.status);
      await send(req, reply, res);
    };
    try {
      const auth = await authenticate(opts.state, service, req, body, requestId);
      if ('error' in auth) return await answer(auth.error);
      const vpce = header(req, 'x-lab-source-vpce');
      const labReq: LabRequest = {
        method: req.method,
        url,
        headers: req.headers,
        body,
        caller: auth.caller,
        region: auth.region ?? opts.defaultRegion,
        ...(auth.service ? { signedService: auth.service } : {}),
        // Loopback callers are internet callers; a VPC-endpoint caller has no aws:SourceIp (docs/aws-facts.md 4.2b).
        sourceIp: vpce ? '' : (header(req, 'x-lab-source-ip') ?? req.ip),
        ...(vpce ? { sourceVpce: vpce } : {}),
        ...(header(req, 'x-lab-source-vpc') ? { sourceVpc: header(req, 'x-lab-source-vpc') } : {}),
        userAgent: header(req, 'user-agent') ?? '',
        requestId,
      };
      await answer(await opts.handlers[service](labReq));
    } catch (err) {
      req.log.error({ err, service }, 'lab handler failed');
      await answer(
        authError(service, 500, 'InternalError', 'We encountered an internal error. Please try again.', requestId),
      );
    }
  });
  return app;
}
