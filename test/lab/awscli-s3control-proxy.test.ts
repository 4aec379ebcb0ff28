// The lab's own way in for `aws s3control` (src/lab/connect-proxy.ts): with the one extra variable
// HTTPS_PROXY=<info.s3controlProxy>, the real CLI reaches S3 Control, and its other calls keep working through the
// same proxy; the proxy tunnels to the lab's listener and nowhere else.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInfo } from '../../src/lab/control.ts';
import type { Lab } from '../../src/lab/index.ts';
import { awsCli, cliJson, requireAwsCli, s3controlCli } from '../helpers/awscli.ts';
import { startTestLab, userKeys } from '../helpers/lab.ts';

let lab: Lab;
let info: LabInfo;

beforeAll(async () => {
  requireAwsCli();
  lab = await startTestLab({ fleet: { clusters: [{ name: 'prod-east' }], keyPool: 1 } });
  info = lab.info();
});
afterAll(async () => {
  await lab?.close();
});

/** Send one raw request to the proxy and return the status line of its answer. */
function proxyStatus(requestText: string): Promise<string> {
  const { hostname, port } = new URL(info.s3controlProxy!);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(requestText));
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\r\n')) {
        resolve(data.slice(0, data.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

describe('aws s3control through the lab proxy', () => {
  it('alice puts the account Block Public Access with only HTTPS_PROXY added', async () => {
    const { target, env } = s3controlCli(info);
    expect(Object.keys(env)).toEqual(['HTTPS_PROXY']);
    const alice = userKeys(info, 'alice');
    const put = await awsCli(
      target,
      [
        's3control',
        'put-public-access-block',
        '--account-id',
        info.accountId,
        '--public-access-block-configuration',
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
      ],
      alice,
      env,
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(lab.state.accountPublicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    // The CLI signed for the host it called, <account>.localhost:PORT, and the lab verified that signature.
    const event = lab.state.trail.findLast((e) => e.eventName === 'PutAccountPublicAccessBlock');
    expect(event?.record).toMatchObject({
      userIdentity: { userName: 'alice' },
      tlsDetails: { clientProvidedHostHeader: `${info.accountId}.localhost:${new URL(info.endpoint).port}` },
    });
    await lab.heal();
  });

  it('leaves s3api, iam and sts calls working through the same proxy', async () => {
    const { env } = s3controlCli(info);
    const target = { endpoint: info.endpoint, caFile: info.caFile };
    const alice = userKeys(info, 'alice');
    const [status, providers, me] = await Promise.all([
      awsCli(target, ['s3api', 'get-bucket-policy-status', '--bucket', 'prod-east-oidc'], alice, env),
      awsCli(target, ['iam', 'list-open-id-connect-providers'], alice, env),
      awsCli({ ...target, endpoint: info.s3controlEndpoint! }, ['sts', 'get-caller-identity'], alice, env),
    ]);
    expect(cliJson(status)).toEqual({ PolicyStatus: { IsPublic: true } });
    expect(cliJson<{ OpenIDConnectProviderList: unknown[] }>(providers).OpenIDConnectProviderList).toHaveLength(1);
    expect(cliJson(me)).toMatchObject({ Arn: 'arn:aws:iam::111122223333:user/alice' });
  });
});

describe('the lab proxy', () => {
  it('tunnels only to the lab listener: other hosts and ports get 403, plain HTTP gets 405', async () => {
    const labPort = new URL(info.endpoint).port;
    expect(await proxyStatus(`CONNECT 127.0.0.1:${labPort} HTTP/1.1\r\nHost: 127.0.0.1:${labPort}\r\n\r\n`)).toBe(
      'HTTP/1.1 200 Connection Established',
    );
    for (const target of ['example.com:443', `127.0.0.1:${Number(labPort) === 1 ? 2 : 1}`, `10.0.0.1:${labPort}`]) {
      expect(await proxyStatus(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`), target).toBe(
        'HTTP/1.1 403 Forbidden',
      );
    }
    expect(await proxyStatus('GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n')).toBe(
      'HTTP/1.1 405 Method Not Allowed',
    );
  });
});
