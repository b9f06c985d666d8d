import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { transactions } from './transactions';

/**
 * Every confirmation and reversal of a transaction, from the channel or raised by the switch,
 * with its store-and-forward state: what operators watch to see the SAF backlog per provider.
 */
export const advices = pgTable(
  'advices',
  {
    transactionId: text()
      .notNull()
      .references(() => transactions.id),
    /** The channel's advice id, or the switch's own for an advice it raised. */
    adviceId: text().notNull(),
    kind: text({ enum: ['confirm', 'reverse'] }).notNull(),
    origin: text({ enum: ['channel', 'switch'] }).notNull(),
    reason: text(),
    provider: text(),
    /** `settled-by-hand`: refused by the provider, then settled with it outside the switch (an operator's action). */
    saf: text({ enum: ['pending', 'delivered', 'consumed', 'refused', 'settled-by-hand'] }).notNull(),
    /** Deliveries tried so far. */
    attempts: integer().notNull().default(0),
    lastError: text(),
    acceptedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    settledAt: timestamp({ withTimezone: true, mode: 'string' }),
    updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.transactionId, t.adviceId] }),
    // The SAF backlog: pending advices per provider, oldest first.
    index('advices_backlog').on(t.saf, t.provider, t.acceptedAt),
  ],
);
