import { ApplicationFailure } from '@temporalio/activity';
import type { AdviceKind } from '../domain/lifecycle';
import type { ProviderId } from '../domain/providers';
import type { ProvisionAttempt } from '../domain/provision';
import type { LegTrace, ProviderAdvice, ProviderRegistry, ProvisionOrder } from '../providers/types';

export interface ProviderActivityDeps {
  providers: ProviderRegistry;
}

export interface ProvisionAtProviderInput {
  provider: ProviderId;
  order: ProvisionOrder;
  deadlineMs: number;
}

export interface DeliverAdviceInput {
  provider: ProviderId;
  kind: AdviceKind;
  advice: ProviderAdvice;
  deadlineMs: number;
}

export interface AdviceDelivery {
  saf: 'delivered' | 'refused';
  trace: LegTrace;
  error?: string;
}

export function createProviderActivities({ providers }: ProviderActivityDeps) {
  return {
    /** Asks the provider for a voucher; every way the call can end comes back as data. */
    async provisionAtProvider({ provider, order, deadlineMs }: ProvisionAtProviderInput): Promise<ProvisionAttempt> {
      return providers[provider].provision(order, { deadlineMs });
    },

    /**
     * Store-and-forward delivery of one advice (contract §1.6). Settled: any 2xx, and for a
     * reversal also 404 (the provider never had the provision). A definite refusal is returned to
     * be recorded; anything else throws, and Temporal repeats the call with backoff, without end.
     */
    async deliverAdvice({ provider, kind, advice, deadlineMs }: DeliverAdviceInput): Promise<AdviceDelivery> {
      const adapter = providers[provider];
      const exchange = await (kind === 'confirm' ? adapter.confirm : adapter.reverse).call(adapter, advice, {
        deadlineMs,
      });
      if (exchange.ok || (kind === 'reverse' && exchange.trace.status === 404)) {
        return { saf: 'delivered', trace: exchange.trace };
      }
      if (exchange.failure.kind === 'declined') {
        return {
          saf: 'refused',
          trace: exchange.trace,
          error: `${exchange.failure.code}: ${exchange.failure.message}`,
        };
      }
      throw ApplicationFailure.retryable(`${kind} not delivered: ${exchange.failure.message}`, 'AdviceNotDelivered');
    },
  };
}
