// Reading one AssumeRoleWithWebIdentity record (docs/aws-facts.md 3.1) into an AssumeEvent. Pure: no I/O and no SDK calls.
import { z } from 'zod';
import { ResourcesShape, check, compact, resourceArn, str, text } from '../shared/trail/records-common.ts';
import type { Common, Json } from '../shared/trail/records-common.ts';

/** One AssumeRoleWithWebIdentity call as CloudTrail recorded it. */
export interface AssumeEvent {
  kind: 'assume';
  eventId: string;
  /** The record's eventTime, normalized to `Date#toISOString()` so times compare as strings. */
  time: string;
  region: string;
  providerArn?: string;
  /** providerArn without `arn:<partition>:iam::<acct>:oidc-provider/`: the issuer URL without scheme. */
  issuerHost?: string;
  subject?: string;
  audience?: string;
  roleArn?: string;
  /** Absent = success. */
  errorCode?: string;
  errorMessage?: string;
  sourceIp?: string;
}

export const STS = 'sts.amazonaws.com';
export const ASSUME = 'AssumeRoleWithWebIdentity'; // eventSource sts.amazonaws.com (docs/aws-facts.md 1.1, 3.1)

/** docs/aws-facts.md 3.1: userIdentity of a WebIdentityUser, requestParameters.roleArn, responseElements (null on failure). */
const AssumeShape = z.object({
  userIdentity: z.object({ principalId: text, userName: text, identityProvider: text }).nullish(),
  requestParameters: z.object({ roleArn: text }).nullish(),
  responseElements: z.object({ provider: text, subjectFromWebIdentityToken: text, audience: text }).nullish(),
  resources: ResourcesShape,
});

/** The IAM OIDC provider ARN's resource part is the issuer URL without https:// (docs/aws-facts.md 3.1, 2.1). */
const issuerHostOf = (providerArn: string | undefined): string | undefined =>
  providerArn === undefined ? undefined : /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(providerArn)?.[1];

/** principalId is `<provider>:<aud>:<sub>` (docs/aws-facts.md 3.1); sub may hold colons, so it is cut off by value. */
function audienceFromPrincipal(principalId?: string, provider?: string, subject?: string): string | undefined {
  if (principalId === undefined || provider === undefined || !principalId.startsWith(`${provider}:`)) return undefined;
  const rest = principalId.slice(provider.length + 1);
  if (subject === undefined) return rest.includes(':') ? str(rest.slice(0, rest.indexOf(':'))) : undefined;
  return rest.endsWith(`:${subject}`) ? str(rest.slice(0, -(subject.length + 1))) : undefined;
}

export function assumeEvent(record: Json, c: Common): AssumeEvent {
  const r = check(AssumeShape, record, c.eventId);
  const who = r.userIdentity;
  const response = r.responseElements;
  const providerArn = who?.identityProvider ?? response?.provider;
  const subject = who?.userName ?? response?.subjectFromWebIdentityToken;
  return compact({
    kind: 'assume',
    eventId: c.eventId,
    time: c.time,
    region: c.region,
    providerArn,
    issuerHost: issuerHostOf(providerArn),
    subject,
    audience: response?.audience ?? audienceFromPrincipal(who?.principalId, providerArn, subject),
    roleArn: r.requestParameters?.roleArn ?? resourceArn(r.resources, 'AWS::IAM::Role'),
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    sourceIp: c.sourceIp,
  });
}
