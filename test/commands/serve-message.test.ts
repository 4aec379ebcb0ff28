// The line `serve` logs once it listens says, in words a person reads on a terminal, where the status page and the API
// are and, with the embedded lab, the lab's endpoint and CA file (README "Try it" tells the reader to copy them).
import { describe, expect, it } from 'vitest';
import { servingMessage } from '../../src/commands/serve.ts';

describe('servingMessage', () => {
  it('names the page and the API', () => {
    expect(servingMessage('http://127.0.0.1:8080')).toBe(
      'irsa-sentinel serving the status page at http://127.0.0.1:8080/ (API http://127.0.0.1:8080/api/v1/status)',
    );
  });

  it('with the embedded lab, adds its endpoint and CA file', () => {
    expect(
      servingMessage('http://127.0.0.1:18480', { endpoint: 'https://127.0.0.1:41625', caFile: '/srv/data/lab/ca.pem' }),
    ).toBe(
      'irsa-sentinel serving the status page at http://127.0.0.1:18480/ (API http://127.0.0.1:18480/api/v1/status);' +
        ' embedded lab at https://127.0.0.1:41625 (CA /srv/data/lab/ca.pem)',
    );
  });
});
