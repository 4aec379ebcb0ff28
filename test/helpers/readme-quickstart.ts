// The README's quick-start blocks, as a reader sees them: each ```sh fence that follows a marker
// `<!-- readme-quickstart: NAME -->`, read into commands (a line ending in `\` continues on the next) and the output
// each one shows: the `#>` lines under it, where `…` stands for any text. Other `#` lines are the reader's comments.
import { readFileSync } from 'node:fs';

export interface QuickstartCommand {
  /** The command's text as written, continuation lines included. */
  text: string;
  /** Lines the command's output must contain, in any order (`…` matches anything). */
  expect: string[];
}

const MARKER = /^<!-- readme-quickstart: (.+?) -->$/;

/** The blocks of a README by marker name, each as its lines. Throws when a marker has no sh fence after it. */
export function quickstartBlocks(readmeFile: string): Map<string, string[]> {
  const lines = readFileSync(readmeFile, 'utf8').split('\n');
  const blocks = new Map<string, string[]>();
  for (let i = 0; i < lines.length; i++) {
    const name = MARKER.exec(lines[i]!)?.[1];
    if (name === undefined) continue;
    let j = i + 1;
    while (lines[j]?.trim() === '') j++;
    if (lines[j] !== '```sh')
      throw new Error(`README line ${j + 1}: the marker "${name}" is not followed by a sh fence`);
    const end = lines.indexOf('```', j + 1);
    if (end < 0) throw new Error(`README line ${j + 1}: the "${name}" fence is never closed`);
    blocks.set(name, lines.slice(j + 1, end));
    i = end;
  }
  return blocks;
}

/** A block's commands with the output each one shows. */
export function quickstartCommands(block: string[]): QuickstartCommand[] {
  const commands: QuickstartCommand[] = [];
  for (let i = 0; i < block.length; i++) {
    const line = block[i]!;
    if (line.startsWith('#>')) {
      const last = commands.at(-1);
      if (!last) throw new Error(`"${line}" shows the output of no command`);
      last.expect.push(line.slice(2).trim());
      continue;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const text = [line];
    while (text.at(-1)!.endsWith('\\') && i + 1 < block.length) text.push(block[++i]!);
    commands.push({ text: text.join('\n'), expect: [] });
  }
  return commands;
}

/** The expected lines that no line of `output` matches (`…` matches any text, the rest literally). */
export function unmetExpectations(expect: string[], output: string): string[] {
  const lines = output.split('\n');
  return expect.filter((e) => {
    const pattern = new RegExp(`^${e.split('…').map(escapeRegExp).join('.*')}$`);
    return !lines.some((l) => pattern.test(l));
  });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
