import { SwitchError } from '../domain/errors';
import type { TransactionGateway, TransactionInput } from './transactions';

/** A new transaction refused at the door: this instance has its limit awaiting their outcome. Nothing was done. */
export class SwitchBusy extends SwitchError {
  readonly retryAfterSeconds = 1;
  constructor(id: string) {
    super('switchBusy', 'The switch is at capacity; nothing was done. Send the message again in 1 s.', { id });
  }
}

export interface AdmissionEvents {
  /** A new transaction started waiting for its outcome (+1), or stopped (-1). */
  inFlight(change: 1 | -1): void;
  refused(): void;
}

/**
 * Admission control: at most `limit` new transactions (provisions, redemptions, refunds, and
 * retries that may ask a provider again) wait for their outcome in this process at once. One
 * more is refused at once, before anything starts. Served instead, it would wait behind all the
 * others, past the channel's timeout, and be reversed; reversals are work too, so a switch
 * offered far more than it serves would otherwise answer almost nothing in time. Confirmations
 * and reversals always pass: they finish transactions, and one refused would only become the
 * switch's own reversal at the deadline.
 */
export function admission(limit: number, events?: AdmissionEvents) {
  let inFlight = 0;
  async function admit<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (inFlight >= limit) {
      events?.refused();
      throw new SwitchBusy(id);
    }
    inFlight += 1;
    events?.inFlight(1);
    try {
      return await work();
    } finally {
      inFlight -= 1;
      events?.inFlight(-1);
    }
  }
  return {
    /** The gateway with its new transactions admitted, its advices untouched. */
    guard<I extends TransactionInput>(gateway: TransactionGateway<I>): TransactionGateway<I> {
      return {
        ...gateway,
        submit: (input, mode) => admit(input.request.id, () => gateway.submit(input, mode)),
        retryExisting: (input) => admit(input.request.id, () => gateway.retryExisting(input)),
      };
    },
  };
}
