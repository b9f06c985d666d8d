/**
 * What back-office operators may do to a transaction and its voucher, and which of those move
 * money: those wait for a second operator's approval when four eyes are configured.
 */
export const backOfficeActions = [
  /** Settle a transaction left open: through the same workflow update the channel would send. */
  'confirm',
  'reverse',
  /** Send a confirmation or reversal the provider refused once more, by store-and-forward. */
  'redeliver-advice',
  /** Record that an advice the provider refused was settled with it by other means. */
  'settle-advice-by-hand',
  /** A lost or stolen voucher: neither redeemed nor refunded while blocked. */
  'block-voucher',
  'unblock-voucher',
] as const;
export type BackOfficeAction = (typeof backOfficeActions)[number];

/** Settling a transaction moves money; so does writing off an advice as settled outside the switch. */
const movesMoney: ReadonlySet<BackOfficeAction> = new Set(['confirm', 'reverse', 'settle-advice-by-hand']);

/** Whether the action waits for a second operator before it runs. */
export function needsApproval(action: BackOfficeAction, fourEyes: boolean): boolean {
  return fourEyes && movesMoney.has(action);
}

/** The steps an action's audit record goes through; each is one row, never changed. */
export type AuditStep =
  /** Awaiting a second operator's approval. */
  | 'requested'
  | 'approved'
  | 'rejected'
  /** Runs now: no approval is needed. */
  | 'started'
  /** It ran and did what was asked. */
  | 'done'
  /** The switch's rules refused it (the transaction's state, say): nothing changed. */
  | 'refused'
  /** It could not run (Temporal or the provider unreachable): nothing is known to have changed. */
  | 'failed';

/** Whether `approver` may approve what `requester` asked: never their own action. */
export function mayApprove(requester: string, approver: string): boolean {
  return requester !== approver;
}
