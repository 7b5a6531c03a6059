import type { MarketoClient } from './marketo-client.ts';

/** What the Marketo actions receive: the client, whose rate budget and quota gate every run of the process shares. */
export interface MarketoConnection {
  client: MarketoClient;
}
