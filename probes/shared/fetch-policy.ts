// Where the agent may send a GET for a URL an issuer's document names (the discovery document's jwks_uri). Whoever can
// write the issuer's bucket, or create an IAM OIDC provider that discovery picks up, chooses that URL, so it must not
// become a way to reach the agent's own network: the instance metadata service, the node, the pod network.
// STS fetches only from the internet, so a document that points anywhere else is broken for STS as well.
import { BlockList, isIP } from 'node:net';
import type { AddressGuard } from '../../src/clients/http.ts';

export const ADDRESS_CLASSES = [
  'public',
  'loopback',
  'private',
  'link-local',
  'metadata',
  'unspecified',
  'multicast',
  'reserved',
] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

const list = (subnets: string[]): BlockList => {
  const b = new BlockList();
  for (const s of subnets) {
    const [net, bits] = s.split('/') as [string, string];
    b.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
  }
  return b;
};

// Checked in this order: the first list an address is in names its class. IPv4-mapped IPv6 (::ffff:a.b.c.d) matches
// the IPv4 lists (BlockList does that); NAT64 (64:ff9b::/96) is classed by the IPv4 address it carries.
const CLASSES: [AddressClass, BlockList][] = [
  // EC2/EKS instance metadata and pod identity, ECS task metadata, and the same on other clouds.
  [
    'metadata',
    list([
      '169.254.169.254/32',
      '169.254.170.2/32',
      '169.254.170.23/32',
      'fd00:ec2::254/128',
      'fd00:ec2::23/128',
      '100.100.100.200/32',
    ]),
  ],
  ['link-local', list(['169.254.0.0/16', 'fe80::/10'])],
  ['loopback', list(['127.0.0.0/8', '::1/128'])],
  ['unspecified', list(['0.0.0.0/8', '::/128'])],
  ['private', list(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'])],
  ['multicast', list(['224.0.0.0/4', 'ff00::/8'])],
  [
    'reserved',
    list([
      '192.0.0.0/24',
      '192.0.2.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
      '2001:db8::/32',
      '100::/64',
    ]),
  ],
];
const NAT64 = list(['64:ff9b::/96']);

/** The IPv4 address in the last 32 bits of an IPv6 address (NAT64). */
function embeddedIpv4(ipv6: string): string {
  const groups = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1).split(':');
  const [hi, lo] = groups.slice(-2).map((g) => parseInt(g || '0', 16)) as [number, number];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** What kind of address an IP address (v4 or v6) is. */
export function addressClass(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (type === 'ipv6' && NAT64.check(address, 'ipv6')) return addressClass(embeddedIpv4(address));
  return CLASSES.find(([, b]) => b.check(address, type))?.[0] ?? 'public';
}

/** Never fetched, whatever the settings: nothing legitimate for an issuer lives there. */
const ALWAYS_REFUSED = new Set<AddressClass>(['metadata', 'link-local', 'unspecified', 'multicast', 'reserved']);

const REASONS: Record<Exclude<AddressClass, 'public'>, string> = {
  metadata: 'is an instance metadata address',
  'link-local': 'is a link-local address',
  loopback: 'is a loopback address (allowPrivateAddresses is off)',
  private: 'is a private address (allowPrivateAddresses is off)',
  unspecified: 'is an unspecified address',
  multicast: 'is a multicast address',
  reserved: 'is a reserved address',
};

const guard = (allowPrivate: boolean): AddressGuard => ({
  id: allowPrivate ? 'issuer-documents+private' : 'issuer-documents',
  refuse(address) {
    const kind = addressClass(address);
    if (kind === 'public' || (allowPrivate && !ALWAYS_REFUSED.has(kind))) return undefined;
    return REASONS[kind];
  },
});
const GUARDS = { strict: guard(false), allowPrivate: guard(true) };

/** The guard for documents an issuer points at: public addresses only, or also loopback and private ones. */
export const documentGuard = (allowPrivateAddresses: boolean): AddressGuard =>
  allowPrivateAddresses ? GUARDS.allowPrivate : GUARDS.strict;

/**
 * The guard for an issuer's own documents: none for an issuer the config names (its operator chose it; the lab serves
 * on loopback), the document guard for one found by discovery (whoever may create an IAM OIDC provider chose it).
 */
export const issuerGuard = (
  cluster: { labels: Readonly<Record<string, string>> },
  allowPrivateAddresses: boolean,
): AddressGuard | undefined =>
  cluster.labels.discovered !== undefined ? documentGuard(allowPrivateAddresses) : undefined;

export type UrlVerdict =
  /** Fetch it with these options: a guard, or none when the URL is on the issuer's own origin. */
  | { fetch: true; guard?: AddressGuard }
  /** Do not fetch it; `insecure` when it is not https. */
  | { fetch: false; insecure: boolean; reason: string; address?: string; addressClass?: AddressClass };

/**
 * May the agent GET `url`, which a document of the cluster's issuer names? Only over https. On the issuer's own
 * origin (scheme, host and port), as the issuer itself (issuerGuard): the agent already fetched it from there.
 * Elsewhere only a public address, or with `allowPrivateAddresses` also loopback and private ones; metadata and
 * link-local addresses never. An IP address in the URL is judged here; a host name when the fetcher resolves it.
 */
export function documentUrlVerdict(
  url: string,
  cluster: { issuer: string; labels: Readonly<Record<string, string>> },
  allowPrivateAddresses: boolean,
): UrlVerdict {
  const { issuer } = cluster;
  if (!URL.canParse(url)) return { fetch: false, insecure: false, reason: 'it is not a URL' };
  const target = new URL(url);
  if (target.protocol !== 'https:')
    return { fetch: false, insecure: true, reason: `it is ${target.protocol.slice(0, -1)}, not https` };
  if (URL.canParse(issuer) && new URL(issuer).origin === target.origin) {
    const own = issuerGuard(cluster, allowPrivateAddresses);
    return own ? { fetch: true, guard: own } : { fetch: true };
  }
  const fence = documentGuard(allowPrivateAddresses);
  const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(literal) !== 0) {
    const reason = fence.refuse(literal);
    if (reason !== undefined)
      return {
        fetch: false,
        insecure: false,
        reason: `${literal} ${reason}`,
        address: literal,
        addressClass: addressClass(literal),
      };
  }
  return { fetch: true, guard: fence };
}
