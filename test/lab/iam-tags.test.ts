// IAM OIDC provider tags, which fleet discovery reads (ccoctl tags each provider
// `openshift.io/cloud-credential-operator/<name>=owned` and `Name=<name>`, docs/aws-facts.md 5), through the AWS SDK v3 and
// the real AWS CLI: Tags in Get/CreateOpenIDConnectProvider, ListOpenIDConnectProviderTags with Marker/MaxItems.
import {
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProviderTagsCommand,
  ListOpenIDConnectProvidersCommand,
  paginateListOpenIDConnectProviderTags,
} from '@aws-sdk/client-iam';
import type { Tag } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.ts';
import { awsCli, cliJson, requireAwsCli } from '../helpers/awscli.ts';
import { sdkConfig, startTestLab, userKeys } from '../helpers/lab.ts';

const CLUSTERS = ['tags-public', 'tags-private'];
const ccoctlTags = (name: string): Tag[] => [
  { Key: 'Name', Value: name },
  { Key: `openshift.io/cloud-credential-operator/${name}`, Value: 'owned' },
];
// Not sorted on purpose: IAM returns tags sorted by key (docs/aws-facts.md 2.1).
const EXTRA_TAGS: Tag[] = [
  { Key: 'zone', Value: 'b' },
  { Key: 'Name', Value: 'extra' },
  { Key: 'env', Value: 'prod' },
  { Key: 'owner', Value: 'platform' },
  { Key: 'cost-center', Value: '42' },
];
const SORTED_EXTRA = [...EXTRA_TAGS].sort((a, b) => (a.Key! < b.Key! ? -1 : 1));

let lab: Lab;
let extraArn: string;

beforeAll(async () => {
  lab = await startTestLab({
    fleet: {
      clusters: [{ name: CLUSTERS[0]! }, { name: CLUSTERS[1]!, topology: 'cloudfront' }],
      keyPool: 1,
    },
  });
  const created = await new IAMClient(sdkConfig(lab, 'alice')).send(
    new CreateOpenIDConnectProviderCommand({
      Url: 'https://oidc.example.com/id/TAGS',
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      Tags: EXTRA_TAGS,
    }),
  );
  extraArn = created.OpenIDConnectProviderArn!;
  expect(created.Tags).toEqual(SORTED_EXTRA);
});
afterAll(async () => {
  await lab?.close();
});

const providerArn = (name: string) => lab.info().clusters.find((c) => c.name === name)!.oidcProviderArn;

describe('IAM OIDC provider tags with the AWS SDK', () => {
  // alice: the agent's read-only sentinel reads tags through GetOpenIDConnectProvider and may not list them.
  const iam = () => new IAMClient(sdkConfig(lab, 'alice'));

  it.each(CLUSTERS)(
    "provisions %s's provider with ccoctl's tags, returned by GetOpenIDConnectProvider",
    async (name) => {
      const got = await iam().send(
        new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn(name) }),
      );
      expect(got.Tags).toEqual(ccoctlTags(name));
    },
  );

  it('finds the fleet: list providers, then their tags', async () => {
    const list = await iam().send(new ListOpenIDConnectProvidersCommand({}));
    const owned: string[] = [];
    for (const { Arn } of list.OpenIDConnectProviderList ?? []) {
      const tags = await iam().send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: Arn }));
      const key = tags.Tags?.find((t) => t.Key?.startsWith('openshift.io/cloud-credential-operator/'))?.Key;
      if (key) owned.push(key.split('/').pop()!);
    }
    expect(owned.sort()).toEqual([...CLUSTERS].sort());
  });

  it('pages ListOpenIDConnectProviderTags with MaxItems and Marker, sorted by key', async () => {
    const first = await iam().send(
      new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: extraArn, MaxItems: 2 }),
    );
    expect(first.Tags).toEqual(SORTED_EXTRA.slice(0, 2));
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toEqual(expect.any(String));
    const second = await iam().send(
      new ListOpenIDConnectProviderTagsCommand({
        OpenIDConnectProviderArn: extraArn,
        MaxItems: 2,
        Marker: first.Marker,
      }),
    );
    expect(second.Tags).toEqual(SORTED_EXTRA.slice(2, 4));
    expect(second.IsTruncated).toBe(true);
    const last = await iam().send(
      new ListOpenIDConnectProviderTagsCommand({
        OpenIDConnectProviderArn: extraArn,
        MaxItems: 2,
        Marker: second.Marker,
      }),
    );
    expect(last.Tags).toEqual(SORTED_EXTRA.slice(4));
    expect(last.IsTruncated).toBe(false);
    expect(last.Marker).toBeUndefined();

    const all: Tag[] = [];
    for await (const page of paginateListOpenIDConnectProviderTags(
      { client: iam(), pageSize: 1 },
      { OpenIDConnectProviderArn: extraArn },
    )) {
      expect(page.Tags).toHaveLength(1);
      all.push(...(page.Tags ?? []));
    }
    expect(all).toEqual(SORTED_EXTRA);

    const whole = await iam().send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: extraArn }));
    expect([whole.Tags, whole.IsTruncated]).toEqual([SORTED_EXTRA, false]);
  });

  it('refuses a bad Marker or MaxItems with ValidationError, and a caller without the permission', async () => {
    await expect(
      iam().send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: extraArn, Marker: 'bm9wZQ' })),
    ).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    await expect(
      iam().send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: extraArn, MaxItems: 0 })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      new IAMClient(sdkConfig(lab, 'nobody')).send(
        new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: extraArn }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(
      iam().send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: `${extraArn}-missing` })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('IAM OIDC provider tags with the AWS CLI', () => {
  beforeAll(() => {
    requireAwsCli();
  });

  const cli = (args: string[]) =>
    awsCli({ endpoint: lab.endpoint, caFile: lab.caFile }, args, userKeys(lab.info(), 'alice'));

  // aws-cli 2.9.19 has no paginator for this operation yet: --marker and --max-items are the API's own parameters.
  it('list-open-id-connect-provider-tags pages with --max-items and --marker (IsTruncated, Marker)', async () => {
    const arnArgs = ['iam', 'list-open-id-connect-provider-tags', '--open-id-connect-provider-arn', extraArn];
    const all = cliJson<{ Tags: Tag[]; IsTruncated: boolean }>(await cli(arnArgs));
    expect(all).toEqual({ Tags: SORTED_EXTRA, IsTruncated: false });
    const seen: Tag[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = cliJson<{ Tags: Tag[]; IsTruncated: boolean; Marker?: string }>(
        await cli([...arnArgs, '--max-items', '3', ...(marker ? ['--marker', marker] : [])]),
      );
      expect(page.IsTruncated).toBe(page.Marker !== undefined);
      seen.push(...page.Tags);
      marker = page.Marker;
      pages++;
    } while (marker && pages < 10);
    expect([pages, seen]).toEqual([2, SORTED_EXTRA]);
  });

  it("get-open-id-connect-provider shows ccoctl's tags on a cloudfront cluster's provider", async () => {
    const name = CLUSTERS[1]!;
    const got = cliJson<{ Url: string; Tags: Tag[] }>(
      await cli(['iam', 'get-open-id-connect-provider', '--open-id-connect-provider-arn', providerArn(name)]),
    );
    expect(got.Url).toContain('/_cloudfront/');
    expect(got.Tags).toEqual(ccoctlTags(name));
  });
});
