import type { ConnectorDefinition } from './kit/define-connector.ts';
import { approvalConnector } from './approval/index.ts';
import { emailConnector } from './email/index.ts';
import { mdfConnector } from './mdf/index.ts';
import { prmConnector } from './prm/index.ts';
import { salesforceConnector } from './salesforce/index.ts';
import { runsConnector } from './runs/index.ts';
import { budgetConnector } from './budget/index.ts';
import { marketoConnector } from './marketo/index.ts';
import { leadsConnector } from './leads/index.ts';

/** Every connector the runtime ships; recipes name their actions as `<connector>.<action>`. */
export const CONNECTORS: readonly ConnectorDefinition[] = [
  prmConnector,
  salesforceConnector,
  emailConnector,
  approvalConnector,
  mdfConnector,
  runsConnector,
  budgetConnector,
  marketoConnector,
  leadsConnector,
] as unknown as readonly ConnectorDefinition[];
