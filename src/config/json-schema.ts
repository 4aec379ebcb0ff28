// The configuration file's JSON Schema (draft-7), generated from the zod schema, for editors and `validate`.
// config/irsa-sentinel.schema.json holds it (npm run gen:schema); a test fails when that file is stale.
import { z } from 'zod';
import { configFileSchema } from './schema.ts';

export const CONFIG_SCHEMA_FILE = 'config/irsa-sentinel.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { target: 'draft-7', io: 'input' }),
    title: 'irsa-sentinel configuration',
    description:
      'Clusters to watch, AWS accounts, probe schedules and settings, storage, server and logging. ${ENV} and ${ENV:-default} references are substituted in string values before validation.',
  };
}

/** The file's exact contents. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}
