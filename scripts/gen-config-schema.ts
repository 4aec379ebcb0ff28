// Writes config/irsa-sentinel.schema.json from the config's zod schema: `npm run gen:schema`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../src/config/json-schema.ts';

const out = join(import.meta.dirname, '..', CONFIG_SCHEMA_FILE);
writeFileSync(out, configJsonSchemaText());
process.stdout.write(`wrote ${out}\n`);
