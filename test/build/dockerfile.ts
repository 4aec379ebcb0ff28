// A small Dockerfile reader for the build tests: stages, their instructions, COPY sources and destinations,
// exec-form ENTRYPOINT/CMD. Enough for the Dockerfile of this repository, not a general parser (no heredocs, no
// ARG substitution).
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

export interface Instruction {
  keyword: string;
  /** The arguments after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface CopyInstruction {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  let current: { text: string; line: number } | undefined;
  const flush = () => {
    if (!current) return;
    const m = /^(\S+)\s*(.*)$/s.exec(current.text.trim());
    if (m) {
      const keyword = m[1]!.toUpperCase();
      const args = m[2]!.trim();
      if (keyword === 'FROM') {
        const [image, as, name] = args.split(/\s+/).filter((a) => !a.startsWith('--'));
        stages.push({
          image: image!,
          ...(as?.toUpperCase() === 'AS' && name ? { name } : {}),
          instructions: [],
        });
      } else {
        const stage = stages.at(-1);
        if (!stage) throw new Error(`Dockerfile line ${current.line}: ${keyword} before FROM`);
        stage.instructions.push({ keyword, args, line: current.line });
      }
    }
    current = undefined;
  };
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !current)) return; // comments go, even inside a continuation
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    current = current ? { ...current, text: `${current.text} ${part}` } : { text: part, line: i + 1 };
    if (!continued) flush();
  });
  flush();
  return stages;
}

export const readDockerfile = (file: string): Stage[] => parseDockerfile(readFileSync(file, 'utf8'));

export function copies(stage: Stage): CopyInstruction[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      let rest = i.args;
      let from: string | undefined;
      for (let m = /^--(\w+)(?:=(\S+))?\s+/.exec(rest); m; m = /^--(\w+)(?:=(\S+))?\s+/.exec(rest)) {
        if (m[1] === 'from') from = m[2];
        rest = rest.slice(m[0].length);
      }
      const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
      const dest = parts.at(-1);
      if (dest === undefined || parts.length < 2) throw new Error(`Dockerfile line ${i.line}: COPY needs a source`);
      return { ...(from ? { from } : {}), sources: parts.slice(0, -1), dest, line: i.line };
    });
}

/** Exec-form (JSON array) arguments of the last such instruction of the stage. */
export function execForm(stage: Stage, keyword: 'ENTRYPOINT' | 'CMD'): string[] | undefined {
  const last = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
  if (!last) return undefined;
  const parsed: unknown = JSON.parse(last.args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`Dockerfile line ${last.line}: ${keyword} is not in exec form`);
  return parsed;
}

/** The WORKDIR in force at an instruction (the last WORKDIR before it; / when none). */
export function workdirAt(stage: Stage, line: number): string {
  let dir = '/';
  for (const i of stage.instructions) {
    if (i.line >= line) break;
    if (i.keyword === 'WORKDIR') dir = posix.resolve(dir, i.args);
  }
  return dir;
}

/**
 * Where a COPY puts one of its sources, as an absolute path in the image: a directory's contents go into dest; a
 * file goes to dest, or into it when dest ends with a slash.
 */
export function copyTarget(stage: Stage, copy: CopyInstruction, source: string, isDir: boolean): string {
  const dest = posix.resolve(workdirAt(stage, copy.line), copy.dest);
  return copy.dest.endsWith('/') && !isDir ? posix.join(dest, posix.basename(source)) : dest;
}

/**
 * .dockerignore matching as Docker does it for simple patterns: each line a path pattern relative to the
 * context root (`*` within one segment, `**` across segments), `!` re-includes, the last match wins; a pattern
 * matching a directory excludes everything under it.
 */
export function dockerignored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = posix.normalize((negate ? line.slice(1) : line).replace(/^\/+/, '')).replace(/\/+$/, '');
    const re = new RegExp(
      '^' +
        pattern
          .split('**')
          .map((s) =>
            s
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('.*') +
        '(/.*)?$',
    );
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

/** The stage's last HEALTHCHECK: its --options and its exec-form CMD; undefined when there is none. */
export function healthcheck(stage: Stage): { options: Record<string, string>; cmd: string[] } | undefined {
  const last = stage.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
  if (!last) return undefined;
  const m = /^((?:--[\w-]+=\S+\s+)*)CMD\s+(\[.*\])$/s.exec(last.args);
  if (!m) throw new Error(`Dockerfile line ${last.line}: HEALTHCHECK is not [--option=value ...] CMD ["exec", "form"]`);
  const options = Object.fromEntries([...m[1]!.matchAll(/--([\w-]+)=(\S+)/g)].map((o) => [o[1]!, o[2]!]));
  return { options, cmd: JSON.parse(m[2]!) as string[] };
}

/** The key=value pairs of a stage's LABEL or ENV instructions (quoted values unquoted; later ones win). */
export function keyValues(stage: Stage, keyword: 'LABEL' | 'ENV'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of stage.instructions.filter((ins) => ins.keyword === keyword))
    for (const m of i.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g))
      out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return out;
}
