import type { Clock } from '../../server/engine/clock.ts';
import type { EmailMessage, NewOutboxMessage, OutboxMessage, OutboxPatch, Store } from '../../server/store/store.ts';
import type { Logger } from '../kit/define-connector.ts';
import type { EmailConnection, OutgoingEmail, RenderedEmail, SendOptions } from './email-connection.ts';
import { EmailDeferredError, followUpKeyOf, rootKeyOf } from './email-deferred.ts';
import type { EmailProvider, RefusedRecipient, SendReceipt } from './email-provider.ts';
import type { EmailTemplates } from './email-templates.ts';
import { EmailOutcomeUnknownError, NEEDS_DECISION } from './email-outcome-unknown.ts';
import { SentNotRecordedError } from './sent-not-recorded.ts';
import type { ToldChanges } from './tell-on-change.ts';

/**
 * How long a message taken for sending may still be on its way (the HTTP client gives up after 30 s;
 * the rest is room for a provider that takes a request after the client gave up on it, or whose
 * search lags its intake): a message `sending` for less may be sent by someone right now, or still be
 * arriving at the provider; for longer, its attempt was interrupted and the provider knows the outcome.
 */
const SENDING_WINDOW_MS = 2 * 60_000;

/**
 * How often the record of a message the provider took is written before the attempt gives up on the
 * store: a dead pooled connection after a failover fails one query, and the next one gets a new one.
 */
const RECORD_SENT_TRIES = 3;

/**
 * Another attempt is sending this message right now; the retry after it finds the message sent or
 * interrupted. Waiting for it spends none of the step's attempts (`spendsNoAttempt`, see the engine's
 * `isWaitNotAttempt`): the attempt that is sending is the one that counts.
 */
export class OutboxBusyError extends Error {
  override name = 'OutboxBusyError';
  readonly retryable = true;
  readonly spendsNoAttempt = true;
  constructor(
    key: string,
    readonly retryAfterMs: number,
  ) {
    super(`message ${key} is being sent by another attempt; a retry finds out whether it went`);
  }
}

/**
 * Sends each notification once, through the store's outbox:
 * 1. the message is stored under its unique key first (the first writer wins, so a step repeated after
 *    a crash finds the message it stored before, with the approval link it carried);
 * 2. a stored message already `sent` is not sent again;
 * 3. before the provider is called the message is marked `sending`, with the time and the run lease of
 *    the attempt. Within the send window since then, another attempt waits (OutboxBusyError, which
 *    spends no attempt), also this turn's own retry: the provider may still be taking it. After it, a
 *    crash or a lost answer left it there and nobody knows whether the provider accepted it, so the
 *    next attempt asks the provider (search by the key in the message metadata) first. A provider that
 *    cannot be asked (an SMTP relay) never gets it a second time by itself: as soon as the attempt that
 *    took it has surely ended (its lease is this turn's, or gone with this worker's restart), the
 *    message is marked `failed` as needing an operator's decision (EmailOutcomeUnknownError), and only
 *    the operator's resend (`POST /outbox/:key/resend`) puts it back to `pending`;
 * 4. the attempt takes the message (pending or sending → sending) only if it is still as it read it,
 *    so concurrent senders of one key call the provider once; the other waits for a retry. A message
 *    stored by this attempt is stored taken (one commit for 1 and 3): nobody else can have it yet;
 * 5. a refusal (a 4xx of the API; an SMTP failure before the data began, or a reply refusing it) puts
 *    the message back to `pending` and the step's retry policy decides. Any other failure may follow
 *    an acceptance: it stays `sending` (see 3), or with SMTP it waits for an operator at once;
 * 6. an approval email is stored as its template and data with the approval's id, and rendered in
 *    memory when it is sent, its links derived from the id and the server secret: no working link is
 *    ever written to the store, not while the message waits, not in the WAL;
 * 7. once sent, the stored message keeps its envelope and loses its body and template data: the
 *    partner data has no further use there;
 * 8. only what the provider's send throws is classified (5). Once it took the message, a store that
 *    fails to record it never makes it go out again: the record is tried again, and if the store still
 *    fails, the message stays `sending`, this process remembers it was taken, and the step's retry
 *    records it (SentNotRecordedError). After a restart, `sending` is an interrupted send (3).
 * 9. an SMTP relay may take a message for some recipients and refuse others. A refusal for good (5xx)
 *    is noted and logged at warn; the message counts as sent. A refusal for now (4xx: greylisting, a
 *    full mailbox) is not final: the message is `sent` for those who got it, and a follow-up entry
 *    (key `<key>#deferred`, same content and Message-ID, only the deferred recipients) is stored with
 *    that record; the step fails, retryable (EmailDeferredError), and its retry sends the follow-up,
 *    under these same rules. Every recipient refused for now is a refusal of the message (5).
 */
export class OutboxSender implements EmailConnection {
  /** Messages the provider took while the store could not record it: key → the `sent` record to write. */
  readonly #sentNotRecorded = new Map<string, { messageId: string; patch: OutboxPatch; followUp?: NewOutboxMessage }>();
  /**
   * Takes this process asked the store for under its turn's lease (key → that lease), and whether the
   * message was then handed to the provider. A take the store committed but whose answer was lost
   * leaves the message `sending` under the turn's own lease: if it never reached the provider, the
   * step's retry sends it (nothing can have gone out); once it may have, only the rules of 3 apply.
   * Lease owners are unique per claim, so no other process takes under the same lease; after a restart
   * this is empty, and a `sending` message is an interrupted send again. A key is forgotten once its
   * outcome is settled (sent, refused, waiting for an operator).
   */
  readonly #takes = new Map<string, { owner: string; handed: boolean }>();
  /** Keys an attempt of this process is delivering right now (between its take and its outcome). */
  readonly #delivering = new Set<string>();

  constructor(
    readonly deps: { store: Store; clock: Clock; log: Logger; provider: EmailProvider; templates: EmailTemplates; from: string },
  ) {}

  /** The store also answers `email.send`'s tell_on_change (tell-on-change.ts): what was last told per subject. */
  get toldChanges(): ToldChanges {
    return this.deps.store;
  }

  render(template: string, data: Record<string, unknown>): Promise<RenderedEmail> {
    return this.deps.templates.render(template, data);
  }

  async send(email: OutgoingEmail, options: SendOptions = {}): Promise<{ messageId: string; alreadySent: boolean }> {
    const { store, clock } = this.deps;
    const envelope = { from: this.deps.from, to: email.to, ...(email.cc && email.cc.length > 0 ? { cc: email.cc } : {}), ...(email.tag ? { tag: email.tag } : {}) };
    const toStore: EmailMessage = email.template
      ? // Rendered at send time only: the stored message holds no approval link, only the approval's id.
        { ...envelope, subject: '', text: '', html: '', template: { ...email.template, ...(email.approval?.id ? { approvalId: email.approval.id } : {}) } }
      : { ...envelope, subject: email.rendered!.subject, text: email.rendered!.text, html: email.rendered!.html };
    // The lease of this turn: it does not change while it sends.
    const leaseOwner = options.leaseOwner ?? (await this.#leaseOwner(email));
    // Rendered first, so that a new message is stored already taken for this attempt (3, 4): one commit
    // before the provider is called, not two. A message that does not render is stored pending, as
    // before, and the path below renders it again and says why.
    const rendered = await this.#render(toStore, email).catch(() => null);
    // A take asked for before under this lease is kept as it is: this call stores nothing if it did.
    if (rendered && this.#takes.get(email.key)?.owner !== options.leaseOwner) this.#tookUnder(email.key, options.leaseOwner);
    const stored = await store.enqueueOutbox({ key: email.key, runId: email.runId, message: toStore, createdAt: clock.now() }, email.approval, rendered ? { now: clock.now(), owner: leaseOwner } : undefined);
    if (stored.taken) return this.#deliver(email, rendered!, toStore, options);
    // Nothing below may touch the message before the step's start is stored: a turn whose run is no
    // longer its own stops here, and leaves the message as it found it.
    await options.started?.();
    return this.#sendStored(email, stored, leaseOwner, options);
  }

  /** Sends a stored message unless it was sent (2), taken by someone else, or waits for an operator (3, 4). */
  async #sendStored(email: OutgoingEmail, stored: OutboxMessage, leaseOwner: string | null, options: SendOptions): Promise<{ messageId: string; alreadySent: boolean }> {
    const { store, clock, provider } = this.deps;
    if (stored.status === 'sent' && stored.providerMessageId) {
      this.#sentNotRecorded.delete(email.key);
      this.#takes.delete(email.key);
      const followUp = await this.#followUp(email, leaseOwner, options);
      if (followUp) return followUp;
      options.note?.(`already sent as message ${stored.providerMessageId}; not sent again`);
      return { messageId: stored.providerMessageId, alreadySent: true };
    }
    // Taken by the provider in an earlier attempt of this process, which the store failed to record.
    const taken = this.#sentNotRecorded.get(email.key);
    if (taken) {
      await this.#recordSent(email, taken.messageId, taken.patch, taken.followUp);
      options.note?.(`sent earlier as message ${taken.messageId}, when the store could not record it; recorded now, not sent again`);
      return (await this.#followUp(email, leaseOwner, options)) ?? { messageId: taken.messageId, alreadySent: true };
    }
    // An interrupted send nobody could check: only an operator's resend or mark-sent moves it on.
    if (stored.status === 'failed') {
      this.#takes.delete(email.key);
      throw new EmailOutcomeUnknownError(email.key, stored.lastError ?? NEEDS_DECISION, this.#traceOf(email.key));
    }
    if (stored.status === 'sending' && this.#neverHanded(stored, options.leaseOwner)) {
      options.note?.(`an earlier attempt of this turn took the message for sending and never handed it to ${provider.description} (the store’s answer was lost); sending it now`);
    } else if (stored.status === 'sending') {
      // Taken by an attempt that may still be talking to the provider: wait until it cannot be.
      const busyForMs = await this.#busyFor(stored, leaseOwner, provider.findSent !== undefined);
      if (busyForMs > 0) throw new OutboxBusyError(email.key, busyForMs);
      // An earlier attempt was cut off mid-call: ask the provider before sending a second copy.
      if (!provider.findSent) {
        throw await this.#awaitDecision(email, `an earlier attempt was cut off while sending through ${provider.description} (since ${new Date(stored.sendingSince ?? 0).toISOString()}), which cannot be asked whether it took the message`);
      }
      const found = await provider.findSent(email.key, options);
      if (found) {
        await this.#recordSent(email, found, this.#sent(await this.#render(stored.message, email), found));
        options.note?.(`an interrupted earlier attempt was delivered as message ${found}; not sent again`);
        return { messageId: found, alreadySent: true };
      }
      options.note?.('an earlier attempt was interrupted and the provider has no such message; sending it now');
    }
    // Rendered before it is taken: a template that fails to render leaves the message as it was.
    const message = await this.#render(stored.message, email);
    // Taken only if nobody else took it since it was read: two runs asking at once (once_per), or a
    // stalled turn and the one that took its run over, never both hand it to the provider.
    this.#tookUnder(email.key, options.leaseOwner);
    if (!(await store.takeOutboxForSending(email.key, { status: stored.status, attempts: stored.attempts }, clock.now(), leaseOwner))) {
      this.#takes.delete(email.key);
      const now = await store.getOutbox(email.key);
      if (now?.status === 'sent' && now.providerMessageId) {
        options.note?.(`sent meanwhile by another attempt as message ${now.providerMessageId}; not sent again`);
        return { messageId: now.providerMessageId, alreadySent: true };
      }
      throw new OutboxBusyError(email.key, SENDING_WINDOW_MS);
    }
    return this.#deliver(email, message, stored.message, options);
  }

  /**
   * The copy of a sent message for the recipients the relay refused for now (9), when there is one
   * not yet sent: sent here, as its own outbox entry, under the same rules.
   */
  async #followUp(email: OutgoingEmail, leaseOwner: string | null, options: SendOptions): Promise<{ messageId: string; alreadySent: boolean } | null> {
    const stored = await this.deps.store.getOutbox(followUpKeyOf(email.key));
    if (!stored) return null;
    const { to, cc } = stored.message;
    return this.#sendStored({ ...email, key: stored.key, to, ...(cc ? { cc } : {}), approval: undefined }, stored, leaseOwner, options);
  }

  /** Hands a message this attempt took (`sending`) to the provider, and records the outcome (5, 7). */
  async #deliver(email: OutgoingEmail, message: EmailMessage, storedForm: EmailMessage, options: SendOptions): Promise<{ messageId: string; alreadySent: boolean }> {
    this.#delivering.add(email.key);
    try {
      return await this.#handOver(email, message, storedForm, options);
    } finally {
      this.#delivering.delete(email.key);
    }
  }

  async #handOver(email: OutgoingEmail, message: EmailMessage, storedForm: EmailMessage, options: SendOptions): Promise<{ messageId: string; alreadySent: boolean }> {
    const { store, provider, log } = this.deps;
    // The step's start is stored before the provider sees anything (the engine's `running` entry; see
    // ActionDefinition.startsWithItsWrite). Should it not be, nothing was sent: the take is given back,
    // so that the run's next attempt does not read it as a send of its own cut off midway.
    if (options.started) {
      try {
        await options.started();
      } catch (error) {
        await this.#giveBack(email, options.leaseOwner);
        throw error;
      }
    }
    let receipt: SendReceipt;
    this.#takes.set(email.key, { owner: options.leaseOwner ?? '', handed: true });
    try {
      receipt = await provider.send(message, email.key, options);
    } catch (error) {
      // A refused message was not taken, so it goes back to `pending`. Any other failure may follow an
      // acceptance (a gateway's 502 or 504, a timeout, a lost connection, an answer we could not read):
      // the message stays `sending` and the next attempt asks the provider first, or, when the provider
      // cannot be asked, it waits for an operator now.
      const refused = provider.failureOf(error) === 'refused';
      if (!refused && !provider.findSent) throw await this.#awaitDecision(email, (error as Error).message);
      await store.updateOutbox(email.key, { ...(refused ? { status: 'pending' as const } : {}), lastError: (error as Error).message });
      if (refused) this.#takes.delete(email.key);
      throw error;
    }
    // The provider took it: from here on, no failure may send it again (8).
    const { messageId, refused = [] } = receipt;
    const sent = this.#sent(message, messageId);
    const recipients = recipientsOf(message).length;
    const received = recipients - refused.length;
    const forNow = refused.filter((r) => r.smtpCode === null || r.smtpCode < 500);
    const forGood = refused.filter((r) => !forNow.includes(r));
    // `key` in a log line is a run's business key (lifecycle-log.ts); the outbox's own key is `outboxKey`.
    const fields = { outboxKey: email.key, runId: email.runId, tag: email.tag, messageId, received, recipients };
    if (forGood.length > 0) {
      const others = received === 1 ? 'the other recipient' : 'the other recipients';
      options.note?.(`${provider.description} refused ${describeRefused(forGood)} for good; sent to ${others} (${received} of ${recipients})`);
    }
    if (forNow.length > 0) {
      // Sent to the others; the deferred recipients get the same message by its follow-up entry (9).
      const followUpKey = followUpKeyOf(email.key);
      const { followUp: _previous, ...form } = storedForm;
      const followUp: NewOutboxMessage = {
        key: followUpKey,
        runId: email.runId,
        message: { ...form, followUp: { of: storedForm.followUp?.of ?? email.key, recipients: forNow.map((r) => r.address) } },
        createdAt: this.deps.clock.now(),
      };
      const error = new EmailDeferredError(email.key, followUpKey, `${provider.description} refused ${describeRefused(forNow)} for now`, received, recipients);
      await this.#recordSent(email, messageId, { ...sent, lastError: error.message }, followUp);
      log.warn({ ...fields, deferred: forNow.map((r) => r.address), ...(forGood.length > 0 ? { refused: forGood.map((r) => r.address) } : {}), followUpKey }, error.message);
      throw error;
    }
    if (options.withStepEntry) this.#recordWithStep(email, messageId, sent, options.withStepEntry);
    else await this.#recordSent(email, messageId, sent);
    if (forGood.length > 0) log.warn({ ...fields, refused: forGood.map((r) => r.address) }, `email sent to ${received} of ${recipients} recipients: ${email.tag}`);
    else log.info(fields, `email sent: ${email.tag}`);
    return { messageId, alreadySent: false };
  }

  /**
   * Records a message the provider took as `sent`, trying the store again when it fails. When it keeps
   * failing, the acceptance is remembered for the step's retry and the attempt fails with
   * SentNotRecordedError; the message stays `sending`, never `pending`.
   */
  async #recordSent(email: OutgoingEmail, messageId: string, patch: OutboxPatch, followUp?: NewOutboxMessage): Promise<void> {
    let failure: unknown;
    for (let tried = 0; tried < RECORD_SENT_TRIES; tried++) {
      try {
        // The follow-up first: once the message is `sent`, nothing else would remember the deferred recipients.
        if (followUp) await this.deps.store.enqueueOutbox(followUp);
        await this.deps.store.updateOutbox(email.key, patch);
        this.#sentNotRecorded.delete(email.key);
        this.#takes.delete(email.key);
        return;
      } catch (error) {
        failure = error;
      }
    }
    this.#sentNotRecorded.set(email.key, { messageId, patch, ...(followUp ? { followUp } : {}) });
    const error = new SentNotRecordedError(email.key, messageId, failure);
    this.deps.log.error({ outboxKey: email.key, runId: email.runId, tag: email.tag, messageId }, error.message);
    throw error;
  }

  /**
   * The `sent` record goes with the step's journal entry, in its commit (one commit, not two). Until
   * that commit, the message is `sending` in the store, as it was during the provider's call: a crash
   * before it is an interrupted send (3: the provider is asked first). The acceptance is remembered
   * meanwhile, so that when the commit fails, the step's retry in this process records it and sends
   * nothing (8).
   */
  #recordWithStep(email: OutgoingEmail, messageId: string, patch: OutboxPatch, withStepEntry: NonNullable<SendOptions['withStepEntry']>): void {
    this.#sentNotRecorded.set(email.key, { messageId, patch });
    withStepEntry({
      outboxSent: { key: email.key, providerMessageId: messageId, sentAt: patch.sentAt!, message: patch.message! },
      stored: (ok) => {
        if (ok) {
          this.#sentNotRecorded.delete(email.key);
          this.#takes.delete(email.key);
        } else this.deps.log.error({ outboxKey: email.key, runId: email.runId, tag: email.tag, messageId }, new SentNotRecordedError(email.key, messageId, 'the step\'s journal write failed').message);
      },
    });
  }

  /**
   * A send that may or may not have gone out, through a provider that cannot be asked: the message is
   * marked `failed` with the reason, ops are told in a log line, and the step fails with an error that
   * says what to check and how to decide. Never sent again without that decision.
   */
  async #awaitDecision(email: OutgoingEmail, reason: string): Promise<EmailOutcomeUnknownError> {
    const error = new EmailOutcomeUnknownError(email.key, `${NEEDS_DECISION}: ${reason}`, this.#traceOf(email.key));
    await this.deps.store.updateOutbox(email.key, { status: 'failed', lastError: error.reason });
    this.#takes.delete(email.key);
    this.deps.log.error({ outboxKey: email.key, runId: email.runId, tag: email.tag, trace: error.trace }, error.message);
    return error;
  }

  /** Remembers a take asked for under this turn's lease (given by the engine: never another process's). */
  #tookUnder(key: string, leaseOwner: string | undefined): void {
    if (!leaseOwner) return;
    this.#takes.set(key, { owner: leaseOwner, handed: false });
  }

  /** A `sending` message this process took under this turn's lease and never handed to the provider. */
  #neverHanded(stored: OutboxMessage, leaseOwner: string | undefined): boolean {
    const take = this.#takes.get(stored.key);
    return leaseOwner !== undefined && stored.sendingOwner === leaseOwner && take?.owner === leaseOwner && !take.handed && !this.#delivering.has(stored.key);
  }

  /** What identifies the message at the provider, for the operator who checks: its Message-ID over SMTP. */
  #traceOf(key: string): string | undefined {
    return this.deps.provider.traceOf?.(rootKeyOf(key), this.deps.from);
  }

  /**
   * Puts a message this attempt took back to `pending`, before anything was handed to the provider. Only
   * the take of this lease is given back; a failure to do it leaves an interrupted send, as a crash would.
   */
  async #giveBack(email: OutgoingEmail, leaseOwner: string | undefined): Promise<void> {
    if (!leaseOwner) return;
    this.#takes.delete(email.key);
    await this.deps.store.releaseOutboxTake(email.key, leaseOwner).catch((error: unknown) => {
      this.deps.log.warn({ outboxKey: email.key, runId: email.runId, tag: email.tag, error: (error as Error).message }, 'a message taken for a step whose start was not stored could not be given back');
    });
  }

  /** Outside a turn (no lease given): the lease of the sending run as the store has it. */
  async #leaseOwner(email: OutgoingEmail): Promise<string | null> {
    return email.runId ? ((await this.deps.store.getRun(email.runId))?.leaseOwner ?? null) : null;
  }

  /**
   * How long a `sending` message must be left alone before the next attempt decides what happened to it.
   * A provider that can be asked (`canAsk`) is asked only once the send window since the take has
   * passed, whoever took it: an attempt that ended on our side (its call timed out, the process
   * stopped or died) may have handed the message to a provider that is still taking it (slower than
   * the client's timeout, an answer lost, a search that lags its intake). Asked before, it answers "no
   * such message" and a second copy goes out (review 9, finding 1: a retry asked a second after a
   * 30 s timeout, and a provider that took the send at 40 s delivered it twice).
   *
   * A provider that cannot be asked (an SMTP relay) is never sent to again by itself, so waiting
   * teaches nothing: the message needs an operator as soon as the attempt that took it has surely
   * ended. That attempt held a run lease (its owner is recorded; `mine` is this attempt's): when it is
   * this attempt's own, that earlier attempt of this turn has ended; when it is gone and was this
   * worker's (`<worker id>~<nonce>`), the turn ended or a restart freed a dead process's lease. A lease
   * still held, or another worker's that is gone (taken over from a stalled process that might still
   * be sending), keeps the message busy for the window.
   */
  async #busyFor(stored: OutboxMessage, mine: string | null, canAsk: boolean): Promise<number> {
    const now = this.deps.clock.now();
    const windowLeft = (stored.sendingSince ?? 0) + SENDING_WINDOW_MS - now;
    if (windowLeft <= 0 || canAsk || !stored.sendingOwner) return windowLeft;
    if (stored.sendingOwner === mine) return 0;
    const state = await this.deps.store.leaseState(stored.sendingOwner, now);
    if (state === 'gone' && mine !== null && workerOf(stored.sendingOwner) === workerOf(mine)) return 0;
    return windowLeft;
  }

  /**
   * The message as the provider gets it. A stored template is rendered here, in memory, with the links
   * derived from the approval id stored with it: the same links after a crash or a retry, and never a
   * link in the store.
   */
  async #render(stored: EmailMessage, email: OutgoingEmail): Promise<EmailMessage> {
    const { template, ...envelope } = stored;
    if (!template) return stored;
    let links: Record<string, unknown> = {};
    if (template.approvalId) {
      if (!email.links) throw new Error(`message ${email.key} carries approval links, and only the approval step that stored it can send it`);
      links = email.links(template.approvalId);
    }
    const rendered = await this.deps.templates.render(template.name, { ...template.data, ...links });
    return { ...envelope, subject: rendered.subject, text: rendered.text, html: rendered.html };
  }

  #sent(message: EmailMessage, providerMessageId: string): OutboxPatch {
    const erased = '[erased once sent]';
    const { template: _dropped, ...envelope } = message;
    return { status: 'sent', providerMessageId, sentAt: this.deps.clock.now(), lastError: null, message: { ...envelope, text: erased, html: erased } };
  }
}

/** Who a message goes to: its deferred recipients for a follow-up (9), else everyone in To and Cc. */
function recipientsOf(message: EmailMessage): string[] {
  return message.followUp?.recipients ?? [...message.to, ...(message.cc ?? [])];
}

/** `a@x.example ("451 4.7.1 Greylisted"), b@y.example ("…")`, for notes, logs and errors. */
function describeRefused(refused: readonly RefusedRecipient[]): string {
  return refused.map((r) => `${r.address} ("${r.reply}")`).join(', ');
}

/** The worker id of a lease owner `<worker id>~<nonce>`. */
function workerOf(owner: string): string {
  const cut = owner.lastIndexOf('~');
  return cut < 0 ? owner : owner.slice(0, cut);
}
