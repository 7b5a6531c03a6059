import { isoNow, type MockClock } from '../clock.ts';

/** An email the simulated provider accepted, as tests and `GET /_mock/mailbox` read it. */
export interface EmailMessage {
  /** The provider's id (a UUID), as answered to the sender. */
  messageId: string;
  /** The From header as sent (`Partnerflow <mdf@partnerflow.example>`). */
  from: string;
  /** Bare addresses, in the order given. */
  to: string[];
  cc: string[];
  /** Only present when the sender used Bcc. */
  bcc?: string[];
  subject: string;
  text: string;
  html: string;
  tag?: string;
  metadata: Record<string, string>;
  /** The Postmark message stream it went out on (`outbound` unless the sender named another). */
  messageStream: string;
  /** When the provider accepted it, from the simulated systems' clock. */
  sentAt: string;
}

/** The simulated provider's outbox: every accepted message, oldest first. */
export class Mailbox {
  readonly #clock: MockClock;
  #messages: EmailMessage[] = [];
  /** Display names by message and address: the outbound search answers them, the test view does not need them. */
  #names = new Map<string, Record<string, string>>();

  constructor(clock: MockClock) {
    this.#clock = clock;
  }

  /** Stores an accepted message, stamped with the clock; `names` are the recipients' display names by address. */
  accept(message: Omit<EmailMessage, 'sentAt'>, names: Record<string, string> = {}): EmailMessage {
    const stored: EmailMessage = { ...message, sentAt: isoNow(this.#clock) };
    this.#messages.push(stored);
    this.#names.set(stored.messageId, { ...names });
    return copy(stored);
  }

  /** The display name a recipient was given in this message, or null. */
  nameOf(messageId: string, address: string): string | null {
    return this.#names.get(messageId)?.[address] || null;
  }

  messages(): EmailMessage[] {
    return this.#messages.map(copy);
  }

  clear(): void {
    this.#messages = [];
    this.#names.clear();
  }
}

function copy(message: EmailMessage): EmailMessage {
  return {
    ...message,
    to: [...message.to],
    cc: [...message.cc],
    ...(message.bcc ? { bcc: [...message.bcc] } : {}),
    metadata: { ...message.metadata },
  };
}
