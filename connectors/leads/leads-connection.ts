import type { MarketoConnection } from '../marketo/marketo-connection.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import type { LeadsConfig } from './leads-config.ts';

/** What the lead actions receive: the PRM and Salesforce connections (looked up at call time) and the settings. */
export interface LeadsConnection {
  prm: () => PrmClient;
  salesforce: () => SalesforceConnection;
  /** The routing's lead lookup and moment, the recall reminder, the recall and the partner activity (D24, D25) use it: a deployment without Marketo fails those actions, not the start. */
  marketo: () => MarketoConnection;
  config: LeadsConfig;
}
