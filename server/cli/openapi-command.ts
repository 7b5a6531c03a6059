import { buildOpenApiDocument } from '../http/openapi.ts';
import type { Command } from './main.ts';

/** `partnerflow openapi`: the HTTP API's OpenAPI 3.1 document, the same `GET /openapi.json` serves. */
export const openapiCommand: Command = {
  usage: `Usage: partnerflow openapi [--mock]

Prints the OpenAPI 3.1 document of the HTTP API (webhooks, approvals, runs, recipes, timers) as JSON.
  --mock   include the /_mock routes that serve --mock adds (mailbox, records, clock, the simulated PRM's webhooks)`,
  options: { mock: { type: 'boolean' } },
  async run({ values, positionals }) {
    if (positionals.length > 0) {
      console.error(`partnerflow openapi: takes no arguments, got "${positionals.join(' ')}"\n\n${openapiCommand.usage}`);
      return 2;
    }
    console.log(JSON.stringify(buildOpenApiDocument({ mock: values.mock === true }), null, 2));
    return 0;
  },
};
