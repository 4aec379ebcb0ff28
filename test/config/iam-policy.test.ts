// config/iam-policy.json, the policy an operator grants the agent, is exactly what the lab's `sentinel` user may do,
// which is what every probe test runs as: a call a probe adds without a policy entry fails those tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabState } from '../../src/lab/state.ts';
import { SENTINEL_ACTIONS, createUsers } from '../../src/lab/users.ts';

const POLICY_FILE = join(import.meta.dirname, '..', '..', 'config', 'iam-policy.json');

describe('config/iam-policy.json', () => {
  const policy = JSON.parse(readFileSync(POLICY_FILE, 'utf8')) as {
    Version: string;
    Statement: { Effect: string; Action: string[]; Resource: string }[];
  };

  it('allows exactly the actions the lab grants its read-only sentinel user, nothing to write', () => {
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect([...actions].sort()).toEqual([...SENTINEL_ACTIONS].sort());
    expect(actions.filter((a) => !/^\w+:(Get|List|LookupEvents$)/.test(a))).toEqual([]);
  });

  it('is the policy document the lab attaches to sentinel', () => {
    const state = new LabState();
    createUsers(state);
    expect(state.users.get('sentinel')?.policy).toEqual(policy);
  });
});
