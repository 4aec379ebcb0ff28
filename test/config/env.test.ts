import { describe, expect, it } from 'vitest';
import { loadText, ONE_CLUSTER, textError } from './temp-config.ts';

describe('${ENV} substitution', () => {
  it('replaces references inside strings, with and without defaults', () => {
    const config = loadText(
      `clusters:
  - name: \${CLUSTER}
    issuer: https://\${BUCKET}.s3.\${REGION:-us-east-1}.amazonaws.com/\${SUFFIX:-x}
    labels: {owner: '\${OWNER:-platform} team', empty: '\${EMPTY:-fallback}'}
`,
      { CLUSTER: 'prod', BUCKET: 'prod-oidc', SUFFIX: 'given', EMPTY: '' },
    );
    expect(config.clusters[0]).toMatchObject({
      name: 'prod',
      issuer: 'https://prod-oidc.s3.us-east-1.amazonaws.com/given',
      region: 'us-east-1',
      labels: { owner: 'platform team', empty: 'fallback' },
    });
  });

  it('reads a plain whole reference as the integer or boolean it spells', () => {
    const config = loadText(ONE_CLUSTER + 'server:\n  port: ${PORT}\nstorage:\n  inMemory: ${MEM:-true}\n', {
      PORT: '9090',
    });
    expect(config.server.port).toBe(9090);
    expect(config.storage.inMemory).toBe(true);
  });

  it('keeps a quoted reference a string, and does not read other values as numbers', () => {
    expect(textError(ONE_CLUSTER + "server: {port: '${PORT}'}\n", { PORT: '9090' }).message).toContain(
      'config.yaml: server.port: Invalid input: expected number, received string',
    );
    const config = loadText(ONE_CLUSTER + "accounts: [{name: p, id: '${ACCOUNT}'}]\n", { ACCOUNT: '012345678901' });
    expect(config.accounts[0]!.id).toBe('012345678901');
  });

  it('writes $${ as a literal ${', () => {
    const config = loadText(
      ONE_CLUSTER.replace('name: a', () => 'name: a\n    labels: {note: "$${NOT_A_VAR}"}'),
      {},
    );
    expect(config.clusters[0]!.labels).toEqual({ note: '${NOT_A_VAR}' });
  });

  it('leaves keys alone', () => {
    const err = textError(ONE_CLUSTER + '${KEY}: 1\n', { KEY: 'concurrency' });
    expect(err.message).toContain('config.yaml: ["${KEY}"]: unknown key');
  });

  it('names the variable, the file and the key path of a missing variable', () => {
    const err = textError(
      ONE_CLUSTER +
        "accounts:\n  - {name: p, id: '123456789012', credentials: {source: profile, profile: '${AWS_PROFILE_NAME}'}}\n",
    );
    expect(err.message).toBe(
      `${err.problems[0]!.file}: accounts[0].credentials.profile: environment variable AWS_PROFILE_NAME is not set (write \${AWS_PROFILE_NAME:-default} to give a default)`,
    );
    expect(err.problems[0]!.file).toMatch(/config\.yaml$/);
  });

  it('substitutes before validation, so a substituted value is validated', () => {
    expect(
      textError(ONE_CLUSTER.replace(/issuer: .*/, 'issuer: ${ISSUER}'), { ISSUER: 'http://plain' }).message,
    ).toContain('config.yaml: clusters[0].issuer: must start with https://');
  });

  it('rejects a malformed reference', () => {
    expect(textError(ONE_CLUSTER + 'log: {level: "${LEVEL-info}"}\n').message).toContain(
      'config.yaml: log.level: malformed reference',
    );
  });
});
