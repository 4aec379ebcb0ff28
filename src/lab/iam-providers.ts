// IAM OpenID Connect provider operations (docs/aws-facts.md 2.1): create, get, list, delete, client IDs, thumbprints, tags.
import { X509Certificate } from 'node:crypto';
import {
  IamError,
  integerParam,
  isoMillis,
  members,
  mergeTags,
  required,
  tagsParam,
  validationError,
} from './iam-wire.ts';
import type { IamCall, IamOperation } from './iam-wire.ts';
import type { LabState, OidcProvider } from './state.ts';
import { formList } from './wire.ts';
import type { LabContext } from './wire.ts';

const providerArnOf = (state: LabState, url: string): string => `arn:aws:iam::${state.accountId}:oidc-provider/${url}`;

function providerParam(call: IamCall): string {
  return required(call.form, 'OpenIDConnectProviderArn');
}

function findProvider(call: IamCall): OidcProvider {
  const arn = providerParam(call);
  const provider = call.state.providers.get(arn);
  if (!provider) throw new IamError(404, 'NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`);
  return provider;
}

function clientIdsParam(ids: string[]): string[] {
  for (const id of ids) {
    if (id.length < 1 || id.length > 255) throw validationError(id, 'ClientIDList', 'have length between 1 and 255');
  }
  if (ids.length > 100) {
    throw new IamError(409, 'LimitExceeded', 'Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100');
  }
  return ids;
}

/** docs/aws-facts.md 2.1: exactly 40 (hex) characters, at most five. */
function thumbprintsParam(prints: string[]): string[] {
  for (const p of prints) {
    if (!/^[0-9A-Fa-f]{40}$/.test(p)) throw validationError(p, 'ThumbprintList', 'be 40 hexadecimal characters');
  }
  if (prints.length > 5) {
    throw new IamError(409, 'LimitExceeded', 'Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: 5');
  }
  return prints;
}

/**
 * docs/aws-facts.md 2.1: without a ThumbprintList IAM uses the top intermediate CA of the issuer's chain; in the lab every
 * issuer is served under the lab CA, so that is its SHA-1 (lower-case hex as in the API sample).
 */
function labCaThumbprint(ctx: LabContext): string[] {
  try {
    return [new X509Certificate(ctx.caPem).fingerprint.replaceAll(':', '').toLowerCase()];
  } catch {
    return [];
  }
}

const createOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: (call) => {
    const url = required(call.form, 'Url');
    // docs/aws-facts.md 1.3: must begin https://, no query. IAM's wording is NOT FOUND. Ports are allowed here (IAM refuses
    // them) because every lab issuer is https://127.0.0.1:PORT/….
    if (!url.startsWith('https://') || url.includes('?') || url.includes('#') || url.length > 255) {
      throw new IamError(400, 'InvalidInput', `Invalid Url ${url}: it must begin with https:// and have no query`);
    }
    return providerArnOf(call.state, url.slice('https://'.length));
  },
  run: (call) => {
    const url = (call.form.Url as string).slice('https://'.length);
    const arn = providerArnOf(call.state, url);
    if (call.state.providerByUrl(url) || call.state.providers.has(arn)) {
      throw new IamError(409, 'EntityAlreadyExists', `Provider with url https://${url} already exists.`);
    }
    const prints = thumbprintsParam(formList(call.form, 'ThumbprintList'));
    const provider: OidcProvider = {
      arn,
      url,
      clientIds: [...new Set(clientIdsParam(formList(call.form, 'ClientIDList')))],
      thumbprints: prints.length > 0 ? prints : labCaThumbprint(call.ctx),
      createdAt: new Date(),
      tags: mergeTags([], tagsParam(call.form)),
    };
    call.state.providers.set(arn, provider);
    return {
      result: { OpenIDConnectProviderArn: arn, ...(provider.tags.length > 0 ? { Tags: members(provider.tags) } : {}) },
      responseElements: { openIDConnectProviderArn: arn },
    };
  },
};

const getOpenIDConnectProvider: IamOperation = {
  write: false,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    // Element order of samples/iam-GetOpenIDConnectProvider-response-apiref.xml; Url without scheme.
    return {
      result: {
        ThumbprintList: members(p.thumbprints),
        CreateDate: isoMillis(p.createdAt),
        ClientIDList: members(p.clientIds),
        Url: p.url,
        ...(p.tags.length > 0 ? { Tags: members(mergeTags([], p.tags)) } : {}),
      },
    };
  },
};

const listOpenIDConnectProviders: IamOperation = {
  write: false,
  resource: () => '*',
  run: (call) => ({
    result: {
      OpenIDConnectProviderList: members([...call.state.providers.keys()].sort().map((Arn) => ({ Arn }))),
    },
  }),
};

const deleteOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    call.state.providers.delete(findProvider(call).arn);
    return {};
  },
};

const addClientIDToOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const [id] = clientIdsParam([required(call.form, 'ClientID')]);
    if (id !== undefined && !p.clientIds.includes(id)) p.clientIds = clientIdsParam([...p.clientIds, id]);
    return {};
  },
};

const removeClientIDFromOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const id = required(call.form, 'ClientID');
    p.clientIds = p.clientIds.filter((c) => c !== id);
    return {};
  },
};

const updateOpenIDConnectProviderThumbprint: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const prints = thumbprintsParam(formList(call.form, 'ThumbprintList'));
    if (prints.length === 0) throw validationError(null, 'ThumbprintList', 'not be null');
    p.thumbprints = prints;
    return {};
  },
};

const tagOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    p.tags = mergeTags(p.tags, tagsParam(call.form));
    return {};
  },
};

const untagOpenIDConnectProvider: IamOperation = {
  write: true,
  resource: providerParam,
  run: (call) => {
    const p = findProvider(call);
    const keys = new Set(formList(call.form, 'TagKeys'));
    p.tags = p.tags.filter((t) => !keys.has(t.Key));
    return {};
  },
};

/**
 * Tags sorted by key, MaxItems (1..1000, default 100) at a time; `IsTruncated` and an opaque `Marker` for the next
 * page (IAM API reference, ListOpenIDConnectProviderTags).
 */
const listOpenIDConnectProviderTags: IamOperation = {
  write: false,
  resource: providerParam,
  run: (call) => {
    const tags = mergeTags([], findProvider(call).tags);
    const maxItems = integerParam(call.form, 'MaxItems', 1, 1000) ?? 100;
    // The Marker is opaque to clients: here, the key of the next tag to list.
    let start = 0;
    if (call.form.Marker !== undefined) {
      const next = Buffer.from(call.form.Marker, 'base64url').toString('utf8');
      start = tags.findIndex((t) => t.Key === next);
      if (start < 0) throw new IamError(400, 'ValidationError', 'Invalid Marker.');
    }
    const following = tags[start + maxItems];
    return {
      result: {
        Tags: members(tags.slice(start, start + maxItems)),
        IsTruncated: following !== undefined,
        ...(following ? { Marker: Buffer.from(following.Key).toString('base64url') } : {}),
      },
    };
  },
};

export const PROVIDER_OPERATIONS: Record<string, IamOperation> = {
  CreateOpenIDConnectProvider: createOpenIDConnectProvider,
  GetOpenIDConnectProvider: getOpenIDConnectProvider,
  ListOpenIDConnectProviders: listOpenIDConnectProviders,
  DeleteOpenIDConnectProvider: deleteOpenIDConnectProvider,
  AddClientIDToOpenIDConnectProvider: addClientIDToOpenIDConnectProvider,
  RemoveClientIDFromOpenIDConnectProvider: removeClientIDFromOpenIDConnectProvider,
  UpdateOpenIDConnectProviderThumbprint: updateOpenIDConnectProviderThumbprint,
  TagOpenIDConnectProvider: tagOpenIDConnectProvider,
  UntagOpenIDConnectProvider: untagOpenIDConnectProvider,
  ListOpenIDConnectProviderTags: listOpenIDConnectProviderTags,
};
