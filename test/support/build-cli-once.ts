// @ts-expect-error: a plain JS module of the launcher, without types
import { ensureBuilt } from '../../bin/build-cli.js';

/**
 * Vitest global setup: compiles the CLI once before any test spawns it. Otherwise, after a source
 * change, the first few CLI processes of a run each compile it at once and print the compile notice on
 * stderr, which a test of the CLI's exact output then reads as its own.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
