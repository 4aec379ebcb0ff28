// Reading lab XML replies in tests: parse (lists of <member> always arrays) and pick a dotted path.
import { XMLParser } from 'fast-xml-parser';
import type { LabResponse } from '../../src/lab/wire.ts';

export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  isArray: (name) => name === 'member',
});

/** The value at a dotted path of a parsed tree ('Error.Code'), or undefined. */
export function at(tree: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      tree,
    );
}

/** The element at a dotted path of an XML reply. */
export const field = (res: LabResponse, path: string): unknown => at(xmlParser.parse(String(res.body)), path);
