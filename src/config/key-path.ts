// Key paths in error messages, one notation everywhere: clusters[1].name, labels["app.kubernetes.io/name"].

export type KeyPath = readonly PropertyKey[];

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(root)';
}
