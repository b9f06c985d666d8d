import { integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { transactions } from './transactions';

/** The messages of both legs (channel↔switch, switch↔provider), voucher codes masked. */
export const messageTraces = pgTable(
  'message_traces',
  {
    id: serial().primaryKey(),
    transactionId: text()
      .notNull()
      .references(() => transactions.id),
    leg: text({ enum: ['channel', 'provider'] }).notNull(),
    operation: text().notNull(),
    method: text(),
    url: text(),
    request: jsonb(),
    status: integer(),
    response: jsonb(),
    startedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    durationMs: integer(),
  },
  // Activities run at least once: a repeated write replaces the trace instead of adding one.
  (t) => [uniqueIndex('message_traces_leg').on(t.transactionId, t.leg, t.operation)],
);
