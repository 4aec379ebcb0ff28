// The shape the code keeps (DESIGN.md "Top-level layout"): no import cycle among src/ and probes/ (type-only imports
// count), no import between probes/ and src/lab/, a probe folder reached from outside only through its index.ts, the
// core model importing nothing, and the lab loaded by the agent only through src/lab-adapter.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** Static relative imports and re-exports of a file (dynamic `import()` is not an edge: it loads on demand). */
function importsOf(file: string): Edge[] {
  const src = readFileSync(file, 'utf8');
  const edges: Edge[] = [];
  for (const m of src.matchAll(/^(import|export)(\s+type)?\s[^'"]*?from\s+'(\.[^']+)'/gms)) {
    const to = relative(ROOT, normalize(join(dirname(file), m[3]!)));
    edges.push({ to, typeOnly: m[2] !== undefined });
  }
  return edges;
}

const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'probes'))].map((f) => relative(ROOT, f));
const graph = new Map(files.map((f) => [f, importsOf(join(ROOT, f))]));

/** Strongly connected components of more than one file (Tarjan), or a file importing itself. */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { to: w } of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).some((e) => e.to === v)) found.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

const edges = [...graph].flatMap(([from, list]) => list.map((e) => ({ from, ...e })));
const probeFolderOf = (path: string) => /^probes\/([a-z]+)\//.exec(path)?.[1];

describe('import structure', () => {
  it('every import resolves to a file (so the checks below see the whole graph)', () => {
    expect(edges.filter((e) => !graph.has(e.to)).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('has no import cycle among src/ and probes/ files', () => {
    expect(cycles()).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    graph.set('src/core/model.ts', [...graph.get('src/core/model.ts')!, { to: 'src/findings.ts', typeOnly: true }]);
    try {
      expect(cycles().some((c) => c.includes('src/core/model.ts') && c.includes('src/findings.ts'))).toBe(true);
    } finally {
      graph.set('src/core/model.ts', importsOf(join(ROOT, 'src/core/model.ts')));
    }
  });

  it('has no import between probes/ and src/lab/', () => {
    const crossing = edges.filter(
      (e) =>
        (e.from.startsWith('probes/') && e.to.startsWith('src/lab/')) ||
        (e.from.startsWith('src/lab/') && e.to.startsWith('probes/')),
    );
    expect(crossing.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('reaches a probe folder from outside only through its index.ts', () => {
    const inside = edges.filter((e) => {
      const target = probeFolderOf(e.to);
      return (
        target !== undefined && target !== 'shared' && probeFolderOf(e.from) !== target && !e.to.endsWith('/index.ts')
      );
    });
    expect(inside.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('keeps the core model free of imports, and no probe imports another or the agent outside src/core and src/clients', () => {
    expect(graph.get('src/core/model.ts')).toEqual([]);
    const probeImports = edges.filter((e) => e.from.startsWith('probes/') && e.from !== 'probes/index.ts');
    const wrong = probeImports.filter((e) => {
      const from = probeFolderOf(e.from);
      const to = probeFolderOf(e.to);
      if (to !== undefined) return to !== from && to !== 'shared';
      return e.to.startsWith('src/') && !/^src\/(core|clients|ccoctl)\//.test(e.to);
    });
    expect(wrong.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('lets src/config know nothing of the lab, and loads the lab code only through src/lab-adapter.ts', () => {
    expect(edges.filter((e) => e.from.startsWith('src/config/') && e.to.startsWith('src/lab/'))).toEqual([]);
    const labUsers = edges.filter((e) => e.to.startsWith('src/lab/') && !e.from.startsWith('src/lab/') && !e.typeOnly);
    const allowed = ['src/lab-adapter.ts', 'src/commands/lab.ts'];
    expect(labUsers.filter((e) => !allowed.includes(e.from)).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
