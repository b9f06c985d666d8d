import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ReportingDb } from '../db/client';
import { type AdviceAttempt, recordAdviceAttempt } from '../db/queries/transactions';
import type {
  AdviceOperation,
  CallOptions,
  LegTrace,
  ProviderAdvice,
  ProviderRegistry,
  ProvisionOrder,
  VoucherUseOrder,
  VoucherUseReceipt,
} from '../domain/provider-protocol';
import type { ProviderId } from '../domain/providers';
import type { ProviderAttempt, ProvisionAttempt } from '../domain/provision';
import type { VoucherUse } from '../domain/voucher';
import type { VoucherKeyer } from '../voucher-key';

export interface ProviderActivityDeps {
  providers: ProviderRegistry;
  voucherKey: VoucherKeyer;
  /** The reporting copy, where a retried advice's attempts show while it is retried. */
  db: ReportingDb;
}

export interface ProvisionAtProviderInput {
  provider: ProviderId;
  order: ProvisionOrder;
  deadlineMs: number;
}

export interface UseAtProviderInput {
  provider: ProviderId;
  use: VoucherUse;
  order: VoucherUseOrder;
  deadlineMs: number;
}

export interface DeliverAdviceInput {
  provider: ProviderId;
  operation: AdviceOperation;
  advice: ProviderAdvice;
  deadlineMs: number;
}

export interface AdviceDelivery {
  saf: 'delivered' | 'refused';
  trace: LegTrace;
  /** Deliveries tried, this one included (Temporal's attempt count survives worker restarts). */
  attempts: number;
  error?: string;
}

/**
 * How long a failed delivery waits to note itself in the reporting copy: a slow or absent
 * database must not hold it up, and it fits in the 5 s the delivery's timeout leaves beyond
 * the provider's deadline.
 */
const attemptNoteMs = 2_000;

/** A provider call's options, naming the transaction (its workflow's id) the activity runs for. */
function callOptions(deadlineMs: number): CallOptions {
  return { deadlineMs, transactionId: Context.current().info.workflowExecution?.workflowId };
}

export function createProviderActivities({ providers, voucherKey, db }: ProviderActivityDeps) {
  /**
   * Best effort, never failing: the workflow's own writes bring the reporting copy up to date
   * once the advice settles. The row is keyed by the transaction's workflow id; a delivery made
   * on another transaction's behalf (a redemption delivering its voucher's confirmation) finds
   * no row and notes nothing.
   */
  async function noteFailedAttempt(attempt: AdviceAttempt) {
    const noted = recordAdviceAttempt(db, attempt).catch(() => {});
    await Promise.race([noted, delay(attemptNoteMs, undefined, { ref: false })]);
  }

  return {
    /** Asks the provider for a voucher; every way the call can end comes back as data. */
    async provisionAtProvider({ provider, order, deadlineMs }: ProvisionAtProviderInput): Promise<ProvisionAttempt> {
      const exchange = await providers[provider].provision(order, callOptions(deadlineMs));
      return exchange.ok ? { ...exchange, voucherKey: voucherKey(exchange.value.voucher.code) } : exchange;
    },

    /** Asks the provider to redeem or refund a voucher; every way the call can end comes back as data. */
    async useAtProvider({
      provider,
      use,
      order,
      deadlineMs,
    }: UseAtProviderInput): Promise<ProviderAttempt<VoucherUseReceipt>> {
      const adapter = providers[provider];
      return use === 'redemption'
        ? adapter.redeem(order, callOptions(deadlineMs))
        : adapter.refund(order, callOptions(deadlineMs));
    },

    /**
     * Store-and-forward delivery of one advice (contract §1.6), as the adapter classified the
     * provider's answer: settled, a definite refusal (returned to be recorded), or anything else,
     * which throws so that Temporal repeats the call with backoff, without end.
     */
    async deliverAdvice({ provider, operation, advice, deadlineMs }: DeliverAdviceInput): Promise<AdviceDelivery> {
      const exchange = await providers[provider].advise(operation, advice, callOptions(deadlineMs));
      const { attempt: attempts, workflowExecution } = Context.current().info;
      if (exchange.ok) return { saf: 'delivered', trace: exchange.trace, attempts };
      if (exchange.failure.kind === 'declined') {
        return {
          saf: 'refused',
          trace: exchange.trace,
          attempts,
          error: `${exchange.failure.code}: ${exchange.failure.message}`,
        };
      }
      const error = `${operation} not delivered: ${exchange.failure.message}`;
      const transactionId = workflowExecution?.workflowId;
      if (transactionId) await noteFailedAttempt({ transactionId, adviceId: advice.id, attempts, lastError: error });
      throw ApplicationFailure.retryable(error, 'AdviceNotDelivered');
    },
  };
}
