// Bucket policy statements the tests put on OIDC buckets: ccoctl's public read (AWS-FACTS 5) and the common mistake,
// a Deny unless the request comes through one VPC endpoint.
export const ccoctlReadStatement = (bucket: string) => ({
  Sid: 'AllowReadPublicAccess',
  Effect: 'Allow',
  Principal: '*',
  Action: ['s3:GetObject'],
  Resource: [`arn:aws:s3:::${bucket}/*`],
});

export const denyOutsideVpceStatement = (bucket: string, vpce = 'vpce-1a2b3c4d') => ({
  Sid: 'DenyOutsideVpce',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${bucket}/*`,
  Condition: { StringNotEquals: { 'aws:SourceVpce': vpce } },
});

export const policyOf = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
