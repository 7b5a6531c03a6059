import type { RunId } from '../../server/engine/ids.ts';
import type { NewApproval } from '../../server/store/store.ts';
import type { ActionContext } from '../kit/define-connector.ts';
import type { CallOptions } from '../kit/http-client.ts';

/** A send's options: a step's (`withStepEntry`: the `sent` record goes with the step's journal entry). */
export type SendOptions = CallOptions & Pick<ActionContext<unknown>, 'withStepEntry' | 'started' | 'leaseOwner'>;
import type { ToldChanges } from './tell-on-change.ts';

/** A rendered email: subject, plain text and HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingEmail {
  /** Unique per notification (`<run id>:<step key>`): the outbox sends a key once. */
  key: string;
  runId: RunId | null;
  to: string[];
  cc?: string[];
  /** The message as it is sent, stored until then. */
  rendered?: RenderedEmail;
  /**
   * Or: a template rendered only when the message is sent, in memory. What is stored until then is the
   * template's name and data, never a rendered body (see `links`).
   */
  template?: { name: string; data: Record<string, unknown> };
  tag?: string;
  /** An approval whose link is in this message, stored in the same transaction as the message. */
  approval?: NewApproval;
  /**
   * Template data derived at send time from the approval id the outbox stored with the message (the
   * approve and deny URLs): a working link exists only in memory and in the email that leaves.
   */
  links?: (approvalId: string) => Record<string, unknown>;
}

/**
 * What the email connector's connection offers other connectors (the approval connector sends its
 * links through it): template rendering and once-only delivery through the outbox.
 */
export interface EmailConnection {
  render(template: string, data: Record<string, unknown>): Promise<RenderedEmail>;
  /**
   * Stores the message under its key (the first writer wins) and delivers it unless it was delivered
   * before. Resolves with the provider's message id.
   */
  send(email: OutgoingEmail, options?: SendOptions): Promise<{ messageId: string; alreadySent: boolean }>;
  /** What was last told per subject, for `email.send`'s `tell_on_change` (the runtime's store). */
  readonly toldChanges?: ToldChanges;
}
