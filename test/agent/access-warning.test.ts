// With a surface behind a token and no token configured, nobody can read it: the agent says so when it builds its API
// (a warning naming the setting), rather than silently answering 401 to everyone.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.ts';
import { loadText } from '../config/temp-config.ts';

const FLEET = `clusters:
  - name: offline
    issuer: https://offline.example.invalid
    region: us-east-1
    probes: [issuer]
storage:
  inMemory: true
`;

async function warningsOf(text: string, env: Record<string, string> = {}): Promise<string[]> {
  const lines: { level: number; msg: string; setting?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  const agent = await createAgent(loadText(text, env), pino({ level: 'info' }, sink));
  const api = await agent.api();
  await api.close();
  await agent.stop();
  return lines.filter((l) => l.level === 40 && l.setting === 'server.access').map((l) => l.msg);
}

describe('start-up warning about server.access', () => {
  it('details on token (the default) and no token: one warning naming server.access.details and how to fix it', async () => {
    const warnings = await warningsOf(FLEET);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^server\.access\.details is token and no API token is configured/);
    expect(warnings[0]).toContain('server.auth.tokens or IRSA_SENTINEL_API_TOKEN');
  });

  it('none with a token from the environment, or with every surface public', async () => {
    expect(await warningsOf(FLEET, { IRSA_SENTINEL_API_TOKEN: 'env-token-0123456789abcdef' })).toEqual([]);
    expect(await warningsOf(`${FLEET}server:\n  access: { details: public }\n`)).toEqual([]);
  });
});
