#!/usr/bin/env node
// The CLI is written in TypeScript. It runs compiled (bin/build-cli.js rebuilds dist/cli.mjs whenever a
// source is newer), so there is no build step to forget; PARTNERFLOW_TSX=1 runs the sources through tsx.
import { pathToFileURL } from 'node:url';

let entry;
if (process.env.PARTNERFLOW_TSX !== '1') {
  try {
    const { ensureBuilt } = await import('./build-cli.js');
    entry = pathToFileURL(await ensureBuilt()).href;
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
