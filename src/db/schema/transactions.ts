import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** One row per channel transaction, keyed by its workflow id; the operators' view of it. */
export const transactions = pgTable(
  'transactions',
  {
    id: text().primaryKey(),
    type: text().notNull(),
    channelId: text().notNull(),
    messageId: text().notNull(),
    /** Unknown for a redemption or refund of a voucher the switch does not know. */
    provider: text(),
    voucherProvider: text(),
    productId: text(),
    state: text().notNull(),
    amount: integer(),
    /** The fee the channel's message carried, in the same currency's minor units. */
    feeAmount: integer(),
    currency: text(),
    /** Absent for a reversal whose request never came. */
    switchReference: text(),
    providerReference: text(),
    /** Only ever the masked code: the clear code stays with the channel and the provider. */
    voucherCodeMasked: text(),
    /** The keyed hash of the voucher code, to find every transaction of one voucher. */
    voucherKey: text(),
    voucherSerialNumber: text(),
    httpStatus: integer(),
    errorType: text(),
    receivedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    answeredAt: timestamp({ withTimezone: true, mode: 'string' }),
    updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    /** The workflow's count of its writes: a write that lands late never replaces a later one. */
    revision: integer().notNull().default(0),
    /** The workflow run that wrote the row: a later run of the same id finds it and answers as a duplicate. */
    runId: text(),
    /**
     * The workflow's time at the write: orders the writes of two runs of one workflow id (an
     * operator's reset replaces a run with one whose history, and so whose revisions, may be
     * shorter). Absent for writes from before it was kept.
     */
    writtenAt: timestamp({ withTimezone: true, mode: 'string' }),
    /**
     * The transaction's lasting state (its answer, voucher included, and its advices), encrypted
     * with the payload codec: how a message id is answered once its workflow's history is gone.
     */
    sealedState: text(),
  },
  (t) => [
    uniqueIndex('transactions_channel_message').on(t.channelId, t.messageId, t.type),
    index('transactions_voucher_key').on(t.voucherKey),
    index('transactions_voucher_serial').on(t.channelId, t.voucherSerialNumber),
    // A provider's file names transactions by the reference the switch sent it.
    index('transactions_switch_reference').on(t.switchReference),
    // Open transactions by type and state, counted at every scrape: only the few unsettled rows.
    index('transactions_open').on(t.type, t.state).where(sql`${t.state} in ('IN_FLIGHT', 'APPROVED')`),
  ],
);
