#!/usr/bin/env node
// The CLI is written in TypeScript. It runs compiled: `npm ci`/`npm install` build dist/cli.mjs (the
// `prepare` script), and bin/build-cli.js rebuilds it here whenever a source is newer, saying so on
// stderr, so there is no build step to forget; PARTNERFLOW_TSX=1 runs the sources through tsx.
import { pathToFileURL } from 'node:url';

let entry;
if (process.env.PARTNERFLOW_TSX !== '1') {
  try {
    const { ensureBuilt, holdBuild } = await import('./build-cli.js');
    const announce = () => process.stderr.write('partnerflow: compiling the CLI into dist/, once after an install or a source change (a few seconds) ...\n');
    // Its own build, held while it runs: a later build (after a source change) leaves it in place.
    entry = pathToFileURL(holdBuild(await ensureBuilt(announce))).href;
  } catch (error) {
    process.stderr.write(`partnerflow: compiling the CLI failed, running the sources through tsx instead: ${error.message}\n`);
  }
}
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../server/cli/main.ts', import.meta.url).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
