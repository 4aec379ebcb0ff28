// The config's alerts block and API tokens: defaults, ${ENV} and file secrets, routes naming unknown sinks, http(s)
// URLs only; and no problem message (nor `validate`) ever quotes a sink URL, key or token.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { redactText } from '../../src/redact.ts';
import { loadText, ONE_CLUSTER, textError, writeFiles } from './temp-config.ts';

const SLACK = 'https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx';
const PD_KEY = 'e93facc04764012d7bfb002500d5d1a6';

const sinks = `alerts:
  sinks:
    - name: slack
      type: slack
      url: \${SLACK_URL}
    - name: pd
      type: pagerduty
      routingKey: \${PD_KEY}
    - name: am
      type: alertmanager
      url: http://alertmanager:9093
    - name: hook
      type: webhook
      url: https://hooks.example.com/irsa?token=\${HOOK_TOKEN}
      secret: \${HOOK_SECRET}
`;
const ENV = { SLACK_URL: SLACK, PD_KEY, HOOK_TOKEN: 'tok-0123456789abcdef', HOOK_SECRET: 'hmac-secret-0123456789' };

describe('alerts config', () => {
  it('takes sinks with ${ENV} secrets, fills the defaults, routes to every sink by default', () => {
    const config = loadText(ONE_CLUSTER + sinks, ENV);
    expect(config.alerts.sinks).toEqual([
      { name: 'slack', type: 'slack', url: SLACK, timeoutMs: 10000 },
      {
        name: 'pd',
        type: 'pagerduty',
        url: 'https://events.pagerduty.com/v2/enqueue',
        routingKey: PD_KEY,
        timeoutMs: 10000,
      },
      { name: 'am', type: 'alertmanager', url: 'http://alertmanager:9093', refreshSeconds: 60, timeoutMs: 10000 },
      {
        name: 'hook',
        type: 'webhook',
        url: 'https://hooks.example.com/irsa?token=tok-0123456789abcdef',
        secret: ENV.HOOK_SECRET,
        timeoutMs: 10000,
      },
    ]);
    expect(config.alerts.defaultSinks).toBeUndefined();
    expect(config.alerts).toMatchObject({
      failAfter: 2,
      resolveAfter: 2,
      reminderMinutes: 240,
      sendResolved: true,
      staleAfterPeriods: 3,
      rerunCooldownSeconds: 60,
    });
  });

  it('reads secrets from files, relative to the config file', () => {
    const dir = writeFiles({
      'config.yaml': `${ONE_CLUSTER}alerts:
  sinks:
    - {name: slack, type: slack, urlFile: secrets/slack-url}
    - {name: pd, type: pagerduty, routingKeyFile: secrets/pd-key}
    - {name: hook, type: webhook, url: 'https://h.example.com/x', secretFile: secrets/hmac}
server:
  auth:
    tokens: [{name: ops, tokenFile: secrets/api-token}]
`,
      'secrets/slack-url': `${SLACK}\n`,
      'secrets/pd-key': PD_KEY,
      'secrets/hmac': 'hmac-secret-from-a-file',
      'secrets/api-token': 'api-token-from-a-file-0123',
    });
    const config = loadConfig(join(dir, 'config.yaml'), {});
    expect(
      config.alerts.sinks.map((s) => [
        s.name,
        s.url,
        'routingKey' in s ? s.routingKey : undefined,
        'secret' in s ? s.secret : undefined,
      ]),
    ).toEqual([
      ['slack', SLACK, undefined, undefined],
      ['pd', 'https://events.pagerduty.com/v2/enqueue', PD_KEY, undefined],
      ['hook', 'https://h.example.com/x', undefined, 'hmac-secret-from-a-file'],
    ]);
    expect(config.server.auth.tokens).toEqual([
      { name: 'ops', token: 'api-token-from-a-file-0123', tokenFile: 'secrets/api-token', scopes: ['read', 'write'] },
    ]);
  });

  it('IRSA_SENTINEL_API_TOKEN adds a write token', () => {
    const config = loadText(ONE_CLUSTER, { IRSA_SENTINEL_API_TOKEN: 'env-token-0123456789abcdef' });
    expect(config.server.auth.tokens).toEqual([
      { name: 'env', token: 'env-token-0123456789abcdef', scopes: ['read', 'write'] },
    ]);
    expect(textError(ONE_CLUSTER, { IRSA_SENTINEL_API_TOKEN: 'short' }).message).toContain(
      'IRSA_SENTINEL_API_TOKEN: must be at least 16 characters',
    );
  });

  it.each([
    [
      'a route naming an unknown sink',
      `${sinks}  routes:\n    - {match: {severity: [critical]}, sinks: [slack, pagerduty]}\n`,
      'alerts.routes[0].sinks[1]: no sink named "pagerduty" in alerts.sinks (known: slack, pd, am, hook)',
    ],
    [
      'defaultSinks naming an unknown sink',
      `${sinks}  defaultSinks: [nope]\n`,
      'alerts.defaultSinks[0]: no sink named "nope"',
    ],
    [
      'a sink URL that is not http(s)',
      'alerts:\n  sinks: [{name: a, type: slack, url: "ftp://x.example.com/secret-part"}]\n',
      'alerts.sinks[0].url: url must be an http:// or https:// URL',
    ],
    [
      'a sink without a URL',
      'alerts:\n  sinks: [{name: a, type: webhook}]\n',
      'alerts.sinks[0].url: is required (or urlFile)',
    ],
    [
      'pagerduty without a routing key',
      'alerts:\n  sinks: [{name: a, type: pagerduty}]\n',
      'alerts.sinks[0].routingKey: give exactly one of routingKey and routingKeyFile',
    ],
    ['an unknown sink type', 'alerts:\n  sinks: [{name: a, type: email, url: "https://x"}]\n', 'alerts.sinks[0].type'],
    [
      'a duplicate sink name',
      'alerts:\n  sinks: [{name: a, type: slack, url: "https://x.example"}, {name: a, type: slack, url: "https://y.example"}]\n',
      'alerts.sinks[1].name: duplicate sink name "a"',
    ],
    [
      'lab:receiver without lab',
      'alerts:\n  sinks: [{name: a, type: webhook, url: "lab:receiver"}]\n',
      'alerts.sinks[0].url: lab:receiver needs lab:',
    ],
    [
      'a bad maintenance cron',
      'alerts:\n  maintenance: [{name: m, cron: "every sunday", durationMinutes: 60}]\n',
      'alerts.maintenance[0].cron: is not a valid cron expression',
    ],
    [
      'a short HMAC secret',
      'alerts:\n  sinks: [{name: a, type: webhook, url: "https://x.example", secret: "short"}]\n',
      'alerts.sinks[0].secret: must be at least 16 characters',
    ],
    ['an unknown alerts key', 'alerts:\n  failAftr: 3\n', 'alerts.failAftr: unknown key'],
  ])('rejects %s, naming the key path', (_what, text, message) => {
    const err = textError(ONE_CLUSTER + text, ENV);
    expect(err.message).toContain(message);
  });

  it('never quotes a secret in a problem, even a misplaced one', () => {
    const text = `${ONE_CLUSTER}alerts:
  sinks:
    - {name: a, type: slack, url: "htps://hooks.slack.com/services/T0/B0/leakedsecretvalue1"}
    - {name: b, type: pagerduty, routingKey: "${PD_KEY}", urlFile: x}
    - {name: c, type: webhook, url: "https://h.example/x", secret: "leakedhmacsecretvalue2", secretFile: y}
`;
    const err = textError(text);
    expect(err.message).not.toContain('leakedsecretvalue1');
    expect(err.message).not.toContain(PD_KEY);
    expect(err.message).not.toContain('leakedhmacsecretvalue2');
  });

  it('registers every secret with the redaction: no log line or response can carry one', () => {
    loadText(ONE_CLUSTER + sinks, ENV);
    const line = `posting to ${SLACK} with ${PD_KEY}; secret ${ENV.HOOK_SECRET}; query token=${ENV.HOOK_TOKEN}`;
    const out = redactText(line);
    for (const secret of [SLACK, PD_KEY, ENV.HOOK_SECRET, ENV.HOOK_TOKEN]) expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED:configured-secret]');
  });

  it('`validate` prints no sink URL, key or token', () => {
    const dir = writeFiles({ 'config.yaml': ONE_CLUSTER + sinks });
    const res = spawnSync(
      process.execPath,
      [join(import.meta.dirname, '../../src/cli.ts'), 'validate', '-c', join(dir, 'config.yaml')],
      {
        env: { ...process.env, ...ENV },
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(0);
    for (const secret of [SLACK, PD_KEY, ENV.HOOK_SECRET, ENV.HOOK_TOKEN, 'alertmanager:9093']) {
      expect(res.stdout + res.stderr).not.toContain(secret);
    }
  });
});
