import { z } from 'zod';
import { providerIds } from '../../domain/providers';

export const simulatedOperations = [
  'provision',
  'confirm',
  'reverse',
  'redeem',
  'confirmRedeem',
  'reverseRedeem',
  'refund',
  'confirmRefund',
  'reverseRefund',
  'lookup',
] as const;
export type SimulatedOperation = (typeof simulatedOperations)[number];

/**
 * `POST /sim/behaviours` (contract §2), and our additions: a decline's `code` and `status`; `reply`,
 * which answers `status` and `body` exactly and does nothing else (the provider's odd answers);
 * and `expiresInMs`, the expiry of the vouchers a provision issues.
 */
export const behaviourSchema = z.strictObject({
  provider: z.enum([...providerIds, '*']),
  operation: z.enum([...simulatedOperations, '*']),
  mode: z.enum(['ok', 'decline', 'error', 'timeout', 'down', 'reply']),
  count: z.number().int().positive().optional(),
  delayMs: z.number().int().nonnegative().optional(),
  code: z.string().min(1).optional(),
  status: z.number().int().min(200).max(599).optional(),
  body: z.string().optional(),
  expiresInMs: z.number().int().optional(),
});
export type Behaviour = z.infer<typeof behaviourSchema>;

/** What a timed-out provider eventually does when no delay is given: answer long after any deadline. */
export const defaultTimeoutDelayMs = 60_000;

/** The behaviours set by tests; the newest matching one wins, and a counted one expires. */
export class BehaviourBook {
  private rules: Behaviour[] = [];

  add(behaviour: Behaviour): void {
    this.rules.push({ ...behaviour });
  }

  clear(): void {
    this.rules = [];
  }

  /** The behaviour for this call, consuming one use of a counted behaviour. */
  take(provider: string, operation: SimulatedOperation): Behaviour | undefined {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const rule = this.rules[i] as Behaviour;
      const matches =
        (rule.provider === '*' || rule.provider === provider) &&
        (rule.operation === '*' || rule.operation === operation);
      if (!matches) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count === 0) this.rules.splice(i, 1);
      }
      return rule;
    }
    return undefined;
  }
}
