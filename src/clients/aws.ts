// AWS clients a probe may use for its cluster's account and region. The factory (aws-factory.ts) builds them from
// the account's configuration: credentials source, endpoint override and CA (the lab), a bounded retry policy.
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { STSClient } from '@aws-sdk/client-sts';
import type { TrailScanner } from './trail.ts';

export interface AwsClients {
  accountId: string;
  /** The cluster's region. */
  region: string;
  iam: IAMClient;
  /** Regional STS of the cluster's region (ccoctl sets sts_regional_endpoints = regional). */
  sts: STSClient;
  /** Path-style S3 in the bucket's region. */
  s3: (region: string) => S3Client;
  s3control: S3ControlClient;
  cloudtrail: (region: string) => CloudTrailClient;
  /** The account's CloudTrail scanner in a region, shared by every cluster of the account (rate-limited). */
  trail: (region: string) => TrailScanner;
}

export interface AwsClientFactory {
  /** Clients for an `accounts` entry in a region; undefined when no such account is configured. */
  forAccount(account: string | undefined, region: string): AwsClients | undefined;
  /** The CloudTrail scans of an account (every region) are stale: the next window of each scans again. */
  expireTrails?(account: string | undefined): void;
  /** Release every client's sockets. */
  close(): void;
}
