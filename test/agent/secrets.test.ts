// After a full run of every probe against the lab, no token, secret key or session token appears in the logs, the
// store's files or the API's responses.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import { loadConfig } from '../../src/config/load.ts';

const API_TOKEN = `api-${randomBytes(16).toString('hex')}`;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

describe('secrets never leave', () => {
  it('logs, store and API hold no token or credential after a full run', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-secrets-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'lab:',
        `  dataDir: ${join(dir, 'lab')}`,
        '  fleet:',
        '    clusters:',
        '      - name: good',
        '      - name: broken',
        '        faults:',
        '          - fault: trust-subject-mismatch',
        '          - fault: rotate-key-unpublished',
        'storage:',
        `  dataDir: ${join(dir, 'data')}`,
        // The details need a read token (the default): the API token is one more secret that must not leave.
        'server:',
        '  auth:',
        `    tokens: [{ name: reader, token: ${API_TOKEN}, scopes: [read] }]`,
        '',
      ].join('\n'),
    );
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const agent = await createAgent(loadConfig(file), pino({ level: 'trace' }, sink));
    const lab = agent.lab!;
    const results = await agent.scheduler.runOnce();
    expect(new Set(results.map((r) => r.probe))).toEqual(new Set(['issuer', 'jwks', 'bucket', 'cloudtrail', 'roles']));
    // The run exercised the secret-bearing paths: tokens minted, roles assumed, sessions issued by STS.
    expect(lab.state.sessions.size).toBeGreaterThan(0);
    expect(results.find((r) => r.cluster === 'broken' && r.probe === 'roles')?.status).toBe('fail');

    const api = await agent.api();
    const bodies: string[] = [];
    for (const url of [
      '/api/v1/status',
      '/api/v1/clusters/good',
      '/api/v1/clusters/broken',
      '/api/v1/clusters/good/history',
      '/api/v1/clusters/broken/history',
      '/api/v1/clusters/good/roles',
      '/api/v1/clusters/broken/roles',
    ]) {
      const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(res.statusCode, url).toBe(200);
      bodies.push(res.body);
    }
    await api.close();
    const secrets = [
      ...lab.info().users.map((u) => u.secretAccessKey),
      ...[...lab.state.sessions.values()].flatMap((s) => [s.secretAccessKey, s.sessionToken, s.accessKeyId]),
      ...lab.info().clusters.map((c) => c.kubeToken),
      lab.controlToken,
      API_TOKEN,
    ];
    await agent.stop();
    const dataDir = join(dir, 'data');
    const storeFiles = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)).toString('latin1'));

    for (const [where, texts] of [
      ['logs', lines],
      ['API', bodies],
      ['store', storeFiles],
    ] as const) {
      const all = texts.join('\n');
      expect(all.length, where).toBeGreaterThan(0);
      expect(JWT.test(all), `a JWT in the ${where}`).toBe(false);
      for (const secret of secrets) expect(all.includes(secret), `a lab secret in the ${where}`).toBe(false);
      expect(/SecretAccessKey|SessionToken/.test(all), `credential field names in the ${where}`).toBe(false);
    }
  });
});
