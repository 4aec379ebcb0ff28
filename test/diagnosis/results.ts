// Builders for the diagnosis tests: ProbeResults of one cluster whose findings carry the messages, subjects and
// evidence the probes give them (probes/*.ts), built with finding() so severities and remediations are the table's.
import { finding } from '../../src/findings.ts';
import type { FindingCode } from '../../src/findings.ts';
import { statusOf } from '../../src/core/model.ts';
import type { Finding, ProbeName, ProbeResult, Severity } from '../../src/core/model.ts';

export const CLUSTER = 'prod-east';
export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const BUCKET = 'acme-prod-east-oidc';
export const ISSUER = `https://${BUCKET}.s3.${REGION}.amazonaws.com`;
export const DISCOVERY_URL = `${ISSUER}/.well-known/openid-configuration`;
export const JWKS_URL = `${ISSUER}/keys.json`;
export const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${BUCKET}.s3.${REGION}.amazonaws.com`;
export const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
export const DOCUMENTS = ['.well-known/openid-configuration', 'keys.json'];

/** One probe's latest result, its status derived from its findings as the runner does. */
export function result(probe: ProbeName, findings: Finding[], observations?: Record<string, unknown>): ProbeResult {
  return {
    cluster: CLUSTER,
    probe,
    status: statusOf(findings),
    startedAt: '2026-12-02T14:10:00.000Z',
    durationMs: 420,
    findings,
    ...(observations !== undefined && { observations }),
  };
}

// ---- roles

export interface Role {
  arn: string;
  serviceAccount: string;
}

const role = (name: string, serviceAccount: string): Role => ({
  arn: `arn:aws:iam::${ACCOUNT}:role/${CLUSTER}-${name}`,
  serviceAccount,
});

// The seven roles ccoctl create-iam-roles makes for an OpenShift cluster on AWS.
export const REGISTRY = role(
  'openshift-image-registry-installer-cloud-credentials',
  'openshift-image-registry/cluster-image-registry-operator',
);
export const INGRESS = role(
  'openshift-ingress-operator-cloud-credentials',
  'openshift-ingress-operator/ingress-operator',
);
export const CCO = role(
  'openshift-cloud-credential-operator-cloud-credential-o',
  'openshift-cloud-credential-operator/cloud-credential-operator',
);
export const EBS = role(
  'openshift-cluster-csi-drivers-ebs-cloud-credentials',
  'openshift-cluster-csi-drivers/aws-ebs-csi-driver-operator',
);
export const MACHINE_API = role(
  'openshift-machine-api-aws-cloud-credentials',
  'openshift-machine-api/machine-api-controllers',
);
export const CLOUD_NETWORK = role(
  'openshift-cloud-network-config-controller-cloud-credentials',
  'openshift-cloud-network-config-controller/cloud-network-config-controller',
);
export const CAPA = role(
  'openshift-cluster-api-capa-manager-bootstrap-credentials',
  'openshift-cluster-api/capa-controller-manager',
);
export const ROLES: Role[] = [REGISTRY, INGRESS, CCO, EBS, MACHINE_API, CLOUD_NETWORK, CAPA];
/** A role of another account: its trust policy is not readable, so only its assume test judges it. */
export const PARTNER = {
  arn: 'arn:aws:iam::444455556666:role/prod-east-backup-writer',
  serviceAccount: 'velero/velero',
};

/** STS's messages for AssumeRoleWithWebIdentity errors (docs/aws-facts.md 1.4), with the SDK error name. */
export const STS_ERRORS = {
  ASSUME_KEY_RETRIEVAL_FAILED: [
    'InvalidIdentityTokenException',
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  ],
  ASSUME_NO_PROVIDER: [
    'InvalidIdentityTokenException',
    `No OpenIDConnect provider found in your account for ${ISSUER}`,
  ],
  ASSUME_AUDIENCE_REJECTED: ['InvalidIdentityTokenException', 'Incorrect token audience'],
  ASSUME_THUMBPRINT_REJECTED: [
    'InvalidIdentityTokenException',
    "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
  ],
  ASSUME_ACCESS_DENIED: ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'],
  ASSUME_TOKEN_EXPIRED: [
    'ExpiredTokenException',
    'Token expired: current date/time 1796220131 must be before the expiration date/time 1796219531',
  ],
} as const satisfies Partial<Record<FindingCode, readonly [string, string]>>;

export type AssumeError = keyof typeof STS_ERRORS;

/** What probes/roles-errors.ts assumeErrorFinding gives for STS's error. */
export function assumeFailed(code: AssumeError, r: Role): Finding {
  const [awsError, awsMessage] = STS_ERRORS[code];
  return finding(code, `AssumeRoleWithWebIdentity for ${r.arn} as ${r.serviceAccount} failed: ${awsMessage}`, {
    subject: r.arn,
    evidence: {
      roleArn: r.arn,
      serviceAccount: r.serviceAccount,
      awsError,
      awsMessage,
      requestId: 'c0ffee00-1111-2222-3333-444455556666',
    },
  });
}

export const roleMissing = (r: Role): Finding =>
  finding('ROLE_MISSING', `Role ${r.arn} does not exist.`, { subject: r.arn, evidence: { roleArn: r.arn } });

export const trustSubjectMismatch = (
  r: Role,
  admitted = 'system:serviceaccount:openshift-ingress-operator:ingress',
): Finding => {
  const sa = r.serviceAccount;
  return finding(
    'TRUST_POLICY_SUBJECT_MISMATCH',
    `The trust policy of ${r.arn} does not admit ${sa} with audience openshift.`,
    {
      subject: r.arn,
      evidence: {
        roleArn: r.arn,
        serviceAccounts: [sa],
        subjects: [`system:serviceaccount:${sa.replace('/', ':')}`],
        audience: 'openshift',
        conditions: [{ StringEquals: { [`${PROVIDER_ARN.split('/').slice(1).join('/')}:sub`]: admitted } }],
      },
    },
  );
};

export const trustProviderMismatch = (r: Role): Finding =>
  finding(
    'TRUST_POLICY_PROVIDER_MISMATCH',
    `The trust policy of ${r.arn} does not let ${PROVIDER_ARN} assume it with sts:AssumeRoleWithWebIdentity.`,
    {
      subject: r.arn,
      evidence: {
        roleArn: r.arn,
        providerArn: PROVIDER_ARN,
        federated: [
          `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
        ],
      },
    },
  );

/**
 * The roles probe's result: every role's findings (an empty list: the role was assumed) and its observations, one per
 * tested role, as probes/roles.ts testRole records them.
 */
export function rolesResult(tested: [Role, Finding[]][], extra: Finding[] = []): ProbeResult {
  const findings = [...extra, ...tested.flatMap(([, fs]) => fs)];
  return result('roles', findings, {
    roles: tested.map(([r, fs]) => ({
      arn: r.arn,
      serviceAccount: r.serviceAccount,
      status: statusOf(fs),
      findings: fs.map((f) => f.code),
      ...(fs.length === 0 && {
        subject: `system:serviceaccount:${r.serviceAccount.replace('/', ':')}`,
        audience: 'openshift',
        assumedRoleArn: r.arn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + '/irsa-sentinel-mbx2k1',
      }),
    })),
  });
}

/** Every role of `roles` failing its assume test with `code`. */
export const everyRoleFails = (code: AssumeError, roles: Role[] = ROLES): ProbeResult =>
  rolesResult(roles.map((r) => [r, [assumeFailed(code, r)]]));

// ---- bucket

/** A Deny unless aws:SourceVpce: BUCKET_ANONYMOUS_READ_DENIED naming the statement, as bucket-verdicts.ts does. */
export function bucketDenied(sid = 'DenyOutsideVpce', subject: string | undefined = BUCKET): Finding {
  return finding(
    'BUCKET_ANONYMOUS_READ_DENIED',
    `Statement "${sid}" denies s3:GetObject to callers outside vpce-0a1b2c3d4e5f67890 (StringNotEquals aws:SourceVpce), and an anonymous caller from the internet has no aws:SourceVpce.`,
    {
      ...(subject !== undefined && { subject }),
      evidence: {
        documents: DOCUMENTS,
        reason: 'explicit-deny',
        statement: sid,
        effect: 'Deny',
        condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f67890' } },
      },
    },
  );
}

/** A policy that grants nobody the read (no statement to name): BUCKET_ANONYMOUS_READ_DENIED without a statement. */
export const bucketNoGrant = (): Finding =>
  finding(
    'BUCKET_ANONYMOUS_READ_DENIED',
    `No statement grants s3:GetObject on arn:aws:s3:::${BUCKET}/.well-known/openid-configuration to an anonymous caller from the internet, so S3 denies by default: Statement "AllowReadFromVpc" requires aws:SourceVpc equal to vpc-0123456789abcdef0, and an anonymous caller from the internet has no aws:SourceVpc.`,
    { subject: BUCKET, evidence: { documents: DOCUMENTS, reason: 'no-grant' } },
  );

/** RestrictPublicBuckets voiding the public grant; with both levels on, `level` is the bucket (bucket-eval.ts). */
export function publicAccessBlocked(...levels: ('bucket' | 'account')[]): Finding {
  const level = levels[0] ?? 'bucket';
  const where = levels.length === 2 ? 'at the bucket and account levels' : `at the ${level} level`;
  return finding(
    'BUCKET_PUBLIC_ACCESS_BLOCKED',
    `Statement "AllowReadPublicAccess" grants s3:GetObject to an anonymous caller from the internet, but RestrictPublicBuckets ${where} voids it: the bucket policy is public (Statement "AllowReadPublicAccess"), so only AWS service principals and the bucket owner's account may use it.`,
    {
      subject: BUCKET,
      evidence: {
        documents: DOCUMENTS,
        reason: 'public-access-blocked',
        statement: 'AllowReadPublicAccess',
        effect: 'Allow',
        level,
        levels,
        setting: 'RestrictPublicBuckets',
      },
    },
  );
}

export const bucketPolicyMissing = (): Finding =>
  finding(
    'BUCKET_POLICY_MISSING',
    `${BUCKET} has no bucket policy, so nothing lets STS read ${DOCUMENTS.join(' and ')}.`,
    {
      subject: BUCKET,
      evidence: { documents: DOCUMENTS, reason: 'no-grant' },
    },
  );

export const originAccessDenied = (): Finding =>
  finding(
    'BUCKET_ORIGIN_ACCESS_DENIED',
    `${BUCKET} does not let the CloudFront distribution read ${DOCUMENTS.join(' and ')}: No statement grants s3:GetObject on arn:aws:s3:::${BUCKET}/.well-known/openid-configuration to CloudFront origin access identity arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E3OTHER, so S3 denies by default: Statement "AllowReadPublicAccess" grants only to arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL.`,
    {
      subject: BUCKET,
      evidence: {
        documents: DOCUMENTS,
        readers: [
          { kind: 'cloudfront-oai', oaiArn: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E3OTHER' },
        ],
      },
    },
  );

export const bucketNotFound = (): Finding =>
  finding('BUCKET_NOT_FOUND', `The bucket ${BUCKET} does not exist.`, { subject: BUCKET });

// ---- cloudtrail

export type ChangeEvent =
  | 'PutBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'PutBucketPublicAccessBlock'
  | 'DeleteBucketPublicAccessBlock'
  | 'PutAccountPublicAccessBlock'
  | 'DeleteAccountPublicAccessBlock';

const WHAT: Record<ChangeEvent, string> = {
  PutBucketPolicy: 'put a new bucket policy on',
  DeleteBucketPolicy: 'deleted the bucket policy of',
  PutBucketPublicAccessBlock: 'changed Block Public Access of',
  DeleteBucketPublicAccessBlock: 'removed Block Public Access from',
  PutAccountPublicAccessBlock: "changed the account's Block Public Access",
  DeleteAccountPublicAccessBlock: "removed the account's Block Public Access",
};

/** What probes/cloudtrail-findings.ts changeFinding gives for one change (info, or warn when it cuts reads off). */
export function changedBy(
  eventName: ChangeEvent,
  time: string,
  actor = ALICE,
  opts: { sessionIssuer?: string; severity?: Severity } = {},
): Finding {
  const account = eventName.includes('Account');
  const target = account ? '' : ` ${BUCKET}`;
  return finding('BUCKET_POLICY_CHANGED_BY', `${actor} ${WHAT[eventName]}${target} at ${time} from 198.51.100.7.`, {
    ...(opts.severity !== undefined && { severity: opts.severity }),
    subject: account ? 'account' : BUCKET,
    evidence: {
      eventName,
      eventId: '3c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      time,
      region: REGION,
      actor,
      ...(opts.sessionIssuer !== undefined && { sessionIssuer: opts.sessionIssuer }),
      sourceIp: '198.51.100.7',
      userAgent: 'aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6',
    },
  });
}

export const assumeFailuresRecent = (r: Role, severity: 'warn' | 'fail' = 'warn'): Finding =>
  finding(
    'ASSUME_FAILURES_RECENT',
    `12 AssumeRoleWithWebIdentity call(s) for ${r.arn} as system:serviceaccount:${r.serviceAccount.replace('/', ':')} failed with AccessDenied, the newest at 2026-12-02T14:05:43Z.`,
    {
      severity,
      subject: r.arn,
      evidence: {
        errorCode: 'AccessDenied',
        count: 12,
        newest: '2026-12-02T14:05:43Z',
        oldest: '2026-12-02T13:41:02Z',
        clusterFailures: 12,
        subject: `system:serviceaccount:${r.serviceAccount.replace('/', ':')}`,
        errorMessage: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      },
    },
  );

// ---- issuer

/** What httpErrorFinding gives for S3's 403 AccessDenied (or another status). */
export function httpError(code: 'ISSUER_HTTP_ERROR' | 'JWKS_HTTP_ERROR', status = 403): Finding {
  const [what, url] = code === 'ISSUER_HTTP_ERROR' ? ['discovery document', DISCOVERY_URL] : ['JWKS', JWKS_URL];
  const s3 = status === 403 ? { s3ErrorCode: 'AccessDenied', s3ErrorMessage: 'Access Denied' } : undefined;
  const detail = s3 ? ` (S3 ${s3.s3ErrorCode}: ${s3.s3ErrorMessage})` : '';
  return finding(code, `The ${what} answered HTTP ${status}${detail}.`, {
    subject: url,
    evidence: { url, status, latencyMs: 84, contentType: 'application/xml', ...s3 },
  });
}

/** What fetchErrorFinding gives for a fetch with no answer; an aborted run is `unknown`. */
export function unreachable(error: 'DNS' | 'ABORTED' = 'DNS'): Finding {
  const message = error === 'DNS' ? `getaddrinfo ENOTFOUND ${new URL(ISSUER).host}` : 'the request was aborted';
  return finding('ISSUER_UNREACHABLE', `The discovery document could not be fetched: ${error}, ${message}.`, {
    subject: DISCOVERY_URL,
    evidence: { url: DISCOVERY_URL, error, latencyMs: 12 },
    ...(error === 'ABORTED' && { severity: 'unknown' as const }),
  });
}

export const tlsInvalid = (): Finding =>
  finding('ISSUER_TLS_INVALID', `The certificate of ${new URL(ISSUER).host} expired on 2026-11-30T23:59:59.000Z.`, {
    subject: DISCOVERY_URL,
    evidence: {
      url: DISCOVERY_URL,
      validTo: '2026-11-30T23:59:59.000Z',
      daysLeft: -3,
      subject: `CN=${new URL(ISSUER).host}`,
      issuer: 'CN=Example Corp Internal CA',
    },
  });

export const discoveryInvalid = (): Finding =>
  finding(
    'DISCOVERY_INVALID',
    'The discovery document does not advertise RS256 in id_token_signing_alg_values_supported (["ES256"]).',
    {
      subject: DISCOVERY_URL,
      evidence: { url: DISCOVERY_URL, contentType: 'application/json' },
    },
  );

export const issuerMismatch = (): Finding =>
  finding(
    'DISCOVERY_ISSUER_MISMATCH',
    `The discovery document says issuer ${JSON.stringify(`${ISSUER}/`)}, not ${JSON.stringify(ISSUER)}.`,
    {
      subject: DISCOVERY_URL,
      evidence: { configured: ISSUER, published: `${ISSUER}/` },
    },
  );

export const jwksUriInsecure = (): Finding => {
  const uri = `http://${new URL(ISSUER).host}/keys.json`;
  return finding('JWKS_URI_INSECURE', `jwks_uri ${uri} is not https, so STS will not fetch it.`, {
    subject: uri,
    evidence: { jwksUri: uri },
  });
};

export const jwksUriRefused = (): Finding => {
  const uri = 'https://169.254.169.254/latest/meta-data/iam/security-credentials/';
  const reason = '169.254.169.254 is an instance metadata address';
  return finding('JWKS_URI_REFUSED', `jwks_uri ${uri} is not fetched: ${reason}.`, {
    subject: uri,
    evidence: { jwksUri: uri, host: '169.254.169.254', reason, address: '169.254.169.254', addressClass: 'metadata' },
  });
};

export const jwksInvalid = (): Finding =>
  finding('JWKS_INVALID', 'key 0 (kid 9Tj8bQ2mC1) is an RSA key of 1024 bits; STS needs at least 2048.', {
    subject: '9Tj8bQ2mC1',
    evidence: { url: JWKS_URL, contentType: 'application/json', index: 0, kid: '9Tj8bQ2mC1' },
  });

/** What slowFinding gives: warn above warnMs, fail above STS's budget. */
export function slow(totalMs: number): Finding {
  const [d, j] = [Math.round(totalMs * 0.6), totalMs - Math.round(totalMs * 0.6)];
  const over = totalMs > 5000;
  return finding(
    'ISSUER_SLOW',
    `The issuer's documents took ${totalMs} ms (${d} ms for ${DISCOVERY_URL}, ${j} ms for ${JWKS_URL}), above ${over ? "STS's budget of 5000" : 2000} ms.`,
    {
      subject: ISSUER,
      evidence: {
        totalMs,
        latencyMs: [
          { url: DISCOVERY_URL, ms: d },
          { url: JWKS_URL, ms: j },
        ],
        warnMs: 2000,
        failMs: 5000,
      },
      ...(over && { severity: 'fail' as const }),
    },
  );
}

// ---- jwks

export const KID = 'rC8b3Ylq0dJ6z5cTn1Wv0mYk2s9hLx4pQeFg7uVa_bE';
export const NEXT_KID = 'Nw2kT9xq4vR1bY7mZc3pLs8dQf6hJe0aUg5iWo_yXtM';

export const signingKeyNotPublished = (kid = KID): Finding =>
  finding('SIGNING_KEY_NOT_PUBLISHED', `The cluster signs tokens with key ${kid}, which the issuer's JWKS lacks.`, {
    subject: kid,
    evidence: { kid, publishedKids: ['9Tj8bQ2mC1'] },
  });

export const nextKeyNotPublished = (kid = NEXT_KID): Finding =>
  finding('NEXT_SIGNING_KEY_NOT_PUBLISHED', `The staged next signing key ${kid} is not published yet.`, {
    subject: kid,
    evidence: { kid, publishedKids: [KID] },
  });

export const staleKeyPublished = (kid = '9Tj8bQ2mC1'): Finding =>
  finding('STALE_KEY_PUBLISHED', `The JWKS publishes key ${kid}, which the cluster does not use.`, {
    subject: kid,
    evidence: { kid, clusterKids: [KID, NEXT_KID] },
  });

export const providerMissing = (): Finding =>
  finding('OIDC_PROVIDER_MISSING', `There is no IAM OIDC provider ${PROVIDER_ARN} for the issuer.`, {
    subject: PROVIDER_ARN,
    evidence: { providerArn: PROVIDER_ARN },
  });

export const audienceMissing = (aud = 'openshift'): Finding =>
  finding('OIDC_PROVIDER_AUDIENCE_MISSING', `The IAM OIDC provider does not list the audience ${aud}.`, {
    subject: aud,
    evidence: { providerArn: PROVIDER_ARN, clientIds: ['sts.amazonaws.com'] },
  });

export const tokenVerifyFailed = (): Finding => {
  const subject = 'system:serviceaccount:openshift-ingress-operator:ingress-operator';
  return finding('TOKEN_VERIFY_FAILED', `A token for ${subject} does not verify: unexpected "iss" claim value`, {
    subject,
    evidence: {
      serviceAccount: 'openshift-ingress-operator/ingress-operator',
      issuer: ISSUER,
      audience: 'openshift',
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      reason: 'unexpected "iss" claim value',
    },
  });
};

export const signingKeysNotConfigured = (): Finding =>
  finding('SIGNING_KEYS_NOT_CONFIGURED', 'No source of the cluster signing keys is configured: kids not compared.');

// ---- shared

export const permissionMissing = (action: string, subject: string): Finding =>
  finding('AWS_PERMISSION_MISSING', `The agent may not call ${action} in ${subject}.`, {
    subject,
    evidence: { region: REGION, action, awsError: 'AccessDeniedException' },
  });
