import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One subcommand: its usage text, its options, and what it does. Resolves with the exit code. */
export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

// Loaded on demand: `validate` or `schema` should work, and start fast, without the runtime and mocks.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  validate: async () => (await import('./validate-command.ts')).validateCommand,
  test: async () => (await import('./test-command.ts')).testCommand,
  run: async () => (await import('./run-command.ts')).runCommand,
  schema: async () => (await import('./schema-command.ts')).schemaCommand,
  openapi: async () => (await import('./openapi-command.ts')).openapiCommand,
  import: async () => (await import('./import-command.ts')).importCommand,
};

const USAGE = `partnerflow: recipes for partner marketing operations

Usage: partnerflow <command> [options]

Commands:
  serve      run the webhook runtime (--mock: on simulated systems with demo data)
  validate   check recipe files: schema, step ids, actions and their input, expressions, references
  test       run scenario files (*.scenario.json) against the simulated systems on a virtual clock
  run        run one recipe once with an event from a file
  schema     print or write the JSON Schema files of recipes and scenarios
  openapi    print the OpenAPI document of the HTTP API
  import     import leads <file.csv>: post a booth-scan list to a running runtime

Run "partnerflow <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    console.error(`partnerflow: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const command = await load();
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`partnerflow ${name}: ${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(command.usage);
    return 0;
  }
  return command.run(parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] });
}
