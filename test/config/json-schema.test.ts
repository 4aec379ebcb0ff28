import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.ts';

const root = join(import.meta.dirname, '..', '..');

describe('the config JSON Schema', () => {
  it(`${CONFIG_SCHEMA_FILE} is up to date`, () => {
    const onDisk = readFileSync(join(root, CONFIG_SCHEMA_FILE), 'utf8');
    expect(onDisk === configJsonSchemaText(), `${CONFIG_SCHEMA_FILE} is stale: run \`npm run gen:schema\``).toBe(true);
  });

  it('is strict draft-7 and carries the defaults and their descriptions', () => {
    const schema = configJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      properties: Record<
        string,
        {
          default?: unknown;
          description?: string;
          properties?: Record<string, { default?: unknown; description?: string }>;
        }
      >;
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.concurrency).toMatchObject({
      default: 16,
      description: expect.stringContaining('Default 16'),
    });
    const issuerCron = (
      schema.properties.schedules?.properties?.issuer as {
        properties: Record<string, { default: unknown; description: string }>;
      }
    ).properties.cron;
    expect(issuerCron).toMatchObject({ default: '*/1 * * * *', description: expect.stringContaining('every minute') });
    expect(schema.properties.server?.properties?.host).toMatchObject({ default: '127.0.0.1' });
  });
});
