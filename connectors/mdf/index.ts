import { z } from 'zod';
import { defineConnector } from '../kit/define-connector.ts';
import { checkMdfRequestAction } from './check-mdf-request.ts';

/** The MDF programme's rules (DOMAIN.md D3–D6), evaluated in the runtime: no external system. */
export const mdfConnector = defineConnector({
  name: 'mdf',
  description: 'MDF programme rules: intake checks for requests.',
  config: z.object({}),
  env: {},
  mockConfig: {},
  connect: () => ({}),
  actions: { check_request: checkMdfRequestAction },
});
