import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ProviderId } from '../domain/providers';
import type { ProviderAttempt, ProvisionAttempt } from '../domain/provision';
import type { VoucherUse } from '../domain/voucher';
import type {
  AdviceOperation,
  LegTrace,
  ProviderAdvice,
  ProviderRegistry,
  ProvisionOrder,
  VoucherUseOrder,
  VoucherUseReceipt,
} from '../providers/types';
import type { VoucherKeyer } from '../voucher-key';

export interface ProviderActivityDeps {
  providers: ProviderRegistry;
  voucherKey: VoucherKeyer;
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

const isReversal = (operation: AdviceOperation) => operation.startsWith('reverse');

export function createProviderActivities({ providers, voucherKey }: ProviderActivityDeps) {
  return {
    /** Asks the provider for a voucher; every way the call can end comes back as data. */
    async provisionAtProvider({ provider, order, deadlineMs }: ProvisionAtProviderInput): Promise<ProvisionAttempt> {
      const exchange = await providers[provider].provision(order, { deadlineMs });
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
      return use === 'redemption' ? adapter.redeem(order, { deadlineMs }) : adapter.refund(order, { deadlineMs });
    },

    /**
     * Store-and-forward delivery of one advice (contract §1.6). Settled: any 2xx, and for a
     * reversal also 404 (the provider never had the request). A definite refusal is returned to
     * be recorded; anything else throws, and Temporal repeats the call with backoff, without end.
     */
    async deliverAdvice({ provider, operation, advice, deadlineMs }: DeliverAdviceInput): Promise<AdviceDelivery> {
      const exchange = await providers[provider].advise(operation, advice, { deadlineMs });
      const { attempt: attempts } = Context.current().info;
      if (exchange.ok || (isReversal(operation) && exchange.trace.status === 404)) {
        return { saf: 'delivered', trace: exchange.trace, attempts };
      }
      if (exchange.failure.kind === 'declined') {
        return {
          saf: 'refused',
          trace: exchange.trace,
          attempts,
          error: `${exchange.failure.code}: ${exchange.failure.message}`,
        };
      }
      throw ApplicationFailure.retryable(
        `${operation} not delivered: ${exchange.failure.message}`,
        'AdviceNotDelivered',
      );
    },
  };
}
