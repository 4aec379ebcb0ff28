// Bucket policy statements the tests put on OIDC buckets: ccoctl's public read (docs/aws-facts.md 5) and the common mistake,
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

/** AWS's documented VPC-endpoint restriction (S3 User Guide, example-bucket-policies-vpc-endpoint; docs/aws-facts.md 4.4). */
export const awsDocumentedVpceStatement = (bucket: string, vpce = 'vpce-1a2b3c4d') => ({
  Sid: 'Access-to-specific-VPCE-only',
  Principal: '*',
  Action: 's3:*',
  Effect: 'Deny',
  Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
  Condition: { StringNotEquals: { 'aws:SourceVpce': vpce } },
});
