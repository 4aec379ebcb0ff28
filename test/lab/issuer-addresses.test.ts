// Fleet option `issuerAddresses: distinct`: each cluster's issuer is its own host, on its own loopback address on the
// lab's port (issuer-hosts.ts), with a certificate valid for that address, and answers only its own issuer's paths.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NAMES_PER_CERTIFICATE, issuerAddress } from '../../src/lab/issuer-hosts.ts';
import type { Lab } from '../../src/lab/index.ts';
import { generateLabTls } from '../../src/lab/tls.ts';
import { LabPortInUseError } from '../../src/lab/index.ts';
import { assumeIngressRole, startTestLab } from '../helpers/lab.ts';

const DISCOVERY = '.well-known/openid-configuration';

describe('issuerAddress', () => {
  it('gives every cluster its own 127.0.x.y, never the lab own 127.0.0.1 nor a .0 or .255 host', () => {
    expect([0, 1, 252, 253, 254].map(issuerAddress)).toEqual([
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.254',
      '127.0.1.1',
      '127.0.1.2',
    ]);
    const all = Array.from({ length: 5000 }, (_, i) => issuerAddress(i));
    expect(new Set(all).size).toBe(5000);
    expect(all.every((a) => /^127\.0\.\d+\.\d+$/.test(a) && net.isIPv4(a))).toBe(true);
    expect(all.filter((a) => a === '127.0.0.1' || /\.(0|255)$/.test(a))).toEqual([]);
  });
});

describe('certificateFor', () => {
  it('names every address of a /24 as an IP SAN, valid for each and no other', async () => {
    const tlsMaterial = await generateLabTls('111122223333');
    const addresses = Array.from({ length: 254 }, (_, i) => `127.0.9.${i + 1}`);
    const cert = new X509Certificate(await tlsMaterial.certificateFor(addresses));
    expect(cert.subjectAltName?.split(', ')).toEqual(addresses.map((a) => `IP Address:${a}`));
    expect(cert.checkIP('127.0.9.1')).toBe('127.0.9.1');
    expect(cert.checkIP('127.0.9.254')).toBe('127.0.9.254');
    expect(cert.checkIP('127.0.8.1')).toBeUndefined();
    expect(cert.verify(new X509Certificate(tlsMaterial.caPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(tlsMaterial.keyPem))).toBe(true);
  });
});

describe('lab with distinct issuer addresses', () => {
  let lab: Lab;
  let port: string;
  /** Verifies TLS against the lab CA only, with Node's default host check (IP SANs for IP hosts). */
  let agent: Agent;

  beforeAll(async () => {
    lab = await startTestLab({
      fleet: { issuerAddresses: 'distinct', clusters: [{ name: 'east' }, { name: 'west', topology: 'cloudfront' }] },
    });
    port = new URL(lab.endpoint).port;
    agent = new Agent({ connect: { ca: lab.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await lab.close();
  });

  const get = async (url: string): Promise<{ status: number; text: string }> => {
    const res = await request(url, { dispatcher: agent });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('puts each issuer on its own address: issuer, provider URL, info', () => {
    const info = lab.info();
    expect(info.issuerAddresses).toBe('distinct');
    const [east, west] = info.clusters;
    expect(east).toMatchObject({ issuer: `https://127.0.0.2:${port}/east-oidc`, issuerAddress: '127.0.0.2' });
    expect(west?.issuer).toBe(`https://127.0.0.3:${port}/_cloudfront/${west?.distributionId}`);
    expect(west?.issuerAddress).toBe('127.0.0.3');
    expect(east?.oidcProviderArn).toBe(`arn:aws:iam::${info.accountId}:oidc-provider/127.0.0.2:${port}/east-oidc`);
    expect(lab.state.providers.get(east!.oidcProviderArn)?.url).toBe(`127.0.0.2:${port}/east-oidc`);
    // The endpoints of the AWS APIs and cluster APIs stay on the lab's own address.
    expect(info.endpoint).toBe(`https://127.0.0.1:${port}`);
    expect(east?.kubeApi).toBe(`https://127.0.0.1:${port}/_clusters/east`);
  });

  it('serves each issuer over TLS valid for its address, with documents naming that address', async () => {
    for (const c of lab.info().clusters) {
      const discovery = await get(`${c.issuer}/${DISCOVERY}`);
      expect(discovery.status).toBe(200);
      const doc = JSON.parse(discovery.text) as { issuer: string; jwks_uri: string };
      expect(doc).toMatchObject({ issuer: c.issuer, jwks_uri: `${c.issuer}/keys.json` });
      const jwks = await get(doc.jwks_uri);
      expect(jwks.status).toBe(200);
      expect((JSON.parse(jwks.text) as { keys: unknown[] }).keys).toHaveLength(1);
    }
  });

  it('has a certificate naming the addresses as IP SANs, and none for an address it does not serve', async () => {
    const san = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.2', port: Number(port), ca: lab.caPem }, () => {
        resolve(socket.getPeerCertificate().subjectaltname ?? '');
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(san).toBe('IP Address:127.0.0.2, IP Address:127.0.0.3');
    // The lab's own certificate does not name the issuer addresses: only the issuer listeners present them.
    const main = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: lab.caPem }, () => {
        resolve(socket.getPeerCertificate().subjectaltname ?? '');
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(main).not.toContain('127.0.0.2');
    // Nothing listens on the next address.
    await expect(get(`https://127.0.0.4:${port}/east-oidc/${DISCOVERY}`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it("answers another cluster's path, or any lab API, on an issuer's address as a separate host would: 404", async () => {
    const east = `https://127.0.0.2:${port}`;
    const west = `https://127.0.0.3:${port}`;
    const foreign = await get(`${west}/east-oidc/${DISCOVERY}`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).toContain('<Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>');
    expect(foreign.text).toContain('<BucketName>east-oidc</BucketName>');
    const distribution = lab.info().clusters[1]!.distributionId!;
    expect((await get(`${east}/_cloudfront/${distribution}/keys.json`)).status).toBe(404);
    expect((await get(`${east}/_lab/v1/info`)).status).toBe(404);
    expect((await get(`${east}/_clusters/east/version`)).status).toBe(404);
    expect((await get(`${east}/east-oidcX/keys.json`)).status).toBe(404);
    // Path-style on the S3 endpoint still reads the bucket, as S3 answers both forms.
    expect((await get(`${lab.endpoint}/east-oidc/${DISCOVERY}`)).status).toBe(200);
  });

  it("lets STS fetch each issuer's documents from its address: AssumeRoleWithWebIdentity works", async () => {
    const before = lab.stats().issuerDocuments;
    for (const cluster of ['east', 'west']) {
      const res = await assumeIngressRole(lab, { cluster });
      expect(res.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      expect(res.Provider).toBe(lab.state.clusters.get(cluster)?.oidcProviderArn);
    }
    const after = lab.stats().issuerDocuments;
    expect(after.discovery - before.discovery).toBe(2);
    expect(after.jwks - before.jwks).toBe(2);
  });

  it('gives the agent config the distinct issuers', async () => {
    const res = await request(`${lab.endpoint}/_lab/v1/agent-config`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${lab.controlToken}` },
    });
    expect(res.statusCode).toBe(200);
    const config = parse(await res.body.text()) as { clusters: { name: string; issuer: string }[] };
    expect(config.clusters.map((c) => c.issuer)).toEqual(lab.info().clusters.map((c) => c.issuer));
    expect(config.clusters[0]?.issuer).toBe(`https://127.0.0.2:${port}/east-oidc`);
  });

  it('keeps the addresses through faults and heal', async () => {
    await lab.applyFault({ cluster: 'east', fault: 'discovery-issuer-mismatch' });
    const broken = JSON.parse((await get(`https://127.0.0.2:${port}/east-oidc/${DISCOVERY}`)).text) as {
      issuer: string;
    };
    expect(broken.issuer).toBe(`https://127.0.0.2:${port}/east-oidc/`);
    await lab.heal();
    expect(lab.info().clusters.map((c) => c.issuerAddress)).toEqual(['127.0.0.2', '127.0.0.3']);
    const healed = JSON.parse((await get(`https://127.0.0.2:${port}/east-oidc/${DISCOVERY}`)).text) as {
      issuer: string;
    };
    expect(healed.issuer).toBe(`https://127.0.0.2:${port}/east-oidc`);
  });
});

/** The IP SANs of the certificate served on address:port. */
function sansOn(address: string, port: number, ca: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: address, port, ca }, () => {
      resolve((socket.getPeerCertificate().subjectaltname ?? '').split(', ').map((n) => n.replace('IP Address:', '')));
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('lab with more issuer addresses than one certificate names', () => {
  it(`names ${NAMES_PER_CERTIFICATE} addresses per certificate, and serves every address`, async () => {
    const lab = await startTestLab({ fleet: { issuerAddresses: 'distinct', generate: { prefix: 'g', count: 18 } } });
    const agent = new Agent({ connect: { ca: lab.caPem } });
    try {
      const port = Number(new URL(lab.endpoint).port);
      const addresses = lab.info().clusters.map((c) => c.issuerAddress!);
      expect(addresses).toEqual(Array.from({ length: 18 }, (_, i) => issuerAddress(i)));
      expect(await sansOn(addresses[0]!, port, lab.caPem)).toEqual(addresses.slice(0, NAMES_PER_CERTIFICATE));
      expect(await sansOn(addresses[17]!, port, lab.caPem)).toEqual(addresses.slice(NAMES_PER_CERTIFICATE));
      for (const c of lab.info().clusters) {
        const res = await request(`${c.issuer}/keys.json`, { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
    } finally {
      await agent.close();
      await lab.close();
    }
  });
});

describe('lab issuer addresses', () => {
  it('shares the lab address by default', async () => {
    const lab = await startTestLab({ fleet: { clusters: [{ name: 'one' }] } });
    try {
      const info = lab.info();
      expect(info).not.toHaveProperty('issuerAddresses');
      expect(info.clusters[0]).toMatchObject({ issuer: `${lab.endpoint}/one-oidc` });
      expect(info.clusters[0]).not.toHaveProperty('issuerAddress');
    } finally {
      await lab.close();
    }
  });

  it('refuses to start when an issuer address is taken on its port, and leaves nothing listening', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.3', resolve));
    try {
      const started = startTestLab({
        port,
        fleet: { issuerAddresses: 'distinct', generate: { prefix: 'p', count: 3 } },
      });
      await expect(started).rejects.toBeInstanceOf(LabPortInUseError);
      await expect(started).rejects.toMatchObject({ host: '127.0.0.3', port, code: 'LAB_PORT_IN_USE' });
      // Every listener it opened is closed again: the lab's own address and 127.0.0.2 are free.
      for (const host of ['127.0.0.1', '127.0.0.2']) {
        await new Promise<void>((resolve, reject) => {
          const again = net.createServer().once('error', reject);
          again.listen(port, host, () => again.close(() => resolve()));
        });
      }
    } finally {
      squatter.close();
    }
  });
});
