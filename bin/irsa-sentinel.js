#!/usr/bin/env node
// Entry point for the installed CLI. Node >= 24 strips the TypeScript types of src/ at load time; an older Node cannot
// load src/cli.ts at all, so this file stays plain JavaScript and says what to do instead of a loader error.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `irsa-sentinel needs Node.js 24 or newer (it runs TypeScript through Node's type stripping); this is ${process.version}.\n` +
      'Run it through npm in the repository (npm ci installs Node 24 into node_modules: npx irsa-sentinel ...), ' +
      'install Node 24 (https://nodejs.org, or nvm install 24), or use the container image.\n',
  );
  process.exit(2);
}
await import('../src/cli.ts');
