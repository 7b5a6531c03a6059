import { hashApprovalToken } from '../../connectors/approval/approval-token.ts';
import type { Store } from '../store/store.ts';
import type { MailboxEmail } from './expectations.ts';

/**
 * A `click` that names neither `subject` nor `body_contains` takes the newest email to the address.
 * That is only safe while every such email answers the same waiting approval (an approval email and
 * its reminder). When they answer two waiting approvals (two requests waiting on one approver), the
 * scenario would depend on delivery order: answers the failure that says so, or null.
 */
export async function ambiguousClick(to: string, emails: readonly MailboxEmail[], store: Store, now: number): Promise<string | null> {
  const waits = new Map<string, MailboxEmail[]>();
  for (const email of emails) {
    const token = /\/approvals\/([A-Za-z0-9_-]+)\?decision=/.exec(email.text)?.[1];
    if (!token) continue;
    const approval = await store.getApproval(hashApprovalToken(token));
    if (!approval || approval.usedAt !== null || (approval.expiresAt !== null && approval.expiresAt <= now)) continue;
    const run = await store.getRun(approval.runId);
    if (run?.status !== 'waiting') continue;
    const key = `${approval.runId}:${approval.signal}`;
    waits.set(key, [...(waits.get(key) ?? []), email]);
  }
  if (waits.size <= 1) return null;
  const subjects = [...waits.values()].flat().map((e) => `    - "${e.subject}"`);
  return (
    `click: the emails to ${to} carry approval links of ${waits.size} waiting approvals, so "the newest email" depends on delivery order:\n${subjects.join('\n')}\n` +
    '  add `subject` or `body_contains` (e.g. the MDF number) to the click to say which one'
  );
}
