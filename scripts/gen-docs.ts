// Writes docs/findings.md from the finding table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFindingsDoc } from '../src/findings-doc.ts';

const dir = join(import.meta.dirname, '..', 'docs');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'findings.md'), renderFindingsDoc());
console.log('wrote docs/findings.md');
