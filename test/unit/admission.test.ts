import { describe, expect, it } from 'vitest';
import { admission, SwitchBusy } from '../../src/api/admission';
import type { TransactionGateway } from '../../src/api/transactions';
import type { ChannelAnswer } from '../../src/contract/answers';

type Input = { transactionId: string; channelId: string; request: { id: string } };
const input = (id: string): Input => ({ transactionId: `provision-c-${id}`, channelId: 'c', request: { id } });
const approved: ChannelAnswer = { status: 201, body: {} } as ChannelAnswer;
const accepted: ChannelAnswer = { status: 202, body: {} } as ChannelAnswer;

/** A gateway whose submissions wait until the test settles them, by request id. */
function heldGateway() {
  const held = new Map<string, { resolve(answer: ChannelAnswer): void; reject(error: Error): void }>();
  const hold = (id: string) =>
    new Promise<ChannelAnswer>((resolve, reject) => {
      held.set(id, { resolve, reject });
    });
  const gateway: TransactionGateway<Input> = {
    submit: (i) => hold(i.request.id),
    retryExisting: (i) => hold(i.request.id),
    confirm: async () => accepted,
    reverse: async () => accepted,
    snapshot: async () => undefined,
  };
  return { gateway, held };
}

describe('admission', () => {
  it('refuses a new transaction past the limit with 429 and Retry-After, before it reaches the gateway', async () => {
    const { gateway, held } = heldGateway();
    const counts = { inFlight: 0, refused: 0 };
    const gate = admission(2, { inFlight: (change) => (counts.inFlight += change), refused: () => counts.refused++ });
    const provisions = gate.guard(gateway);
    const first = provisions.submit(input('a'), 'request');
    const second = provisions.retryExisting(input('b'));
    expect(counts.inFlight).toBe(2);

    const refusal = await provisions.submit(input('c'), 'request').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SwitchBusy);
    expect((refusal as SwitchBusy).retryAfterSeconds).toBe(1);
    expect((refusal as SwitchBusy).toChannelAnswer()).toEqual({
      status: 429,
      body: {
        id: 'c',
        errorType: 'GENERAL_ERROR',
        errorMessage: 'The switch is at capacity; nothing was done. Send the message again in 1 s.',
      },
    });
    expect([...held.keys()]).toEqual(['a', 'b']);
    expect(counts).toEqual({ inFlight: 2, refused: 1 });

    held.get('a')?.resolve(approved);
    held.get('b')?.resolve(approved);
    await expect(first).resolves.toBe(approved);
    await expect(second).resolves.toBe(approved);
    expect(counts.inFlight).toBe(0);
  });

  it('lets confirmations and reversals through while full: they finish transactions', async () => {
    const { gateway } = heldGateway();
    const provisions = admission(1).guard(gateway);
    void provisions.submit(input('a'), 'request');
    await expect(provisions.confirm('provision-c-a', { id: 'x', requestId: 'a' } as never)).resolves.toBe(accepted);
    await expect(provisions.reverse('provision-c-a', { id: 'y', requestId: 'a' } as never, 'c')).resolves.toBe(
      accepted,
    );
  });

  it('frees the place of a transaction that failed, and shares one limit between gateways', async () => {
    const { gateway, held } = heldGateway();
    const gate = admission(1);
    const provisions = gate.guard(gateway);
    const redemptions = gate.guard(gateway);
    const failing = provisions.submit(input('a'), 'request');
    await expect(redemptions.submit(input('b'), 'request')).rejects.toBeInstanceOf(SwitchBusy);

    held.get('a')?.reject(new Error('Temporal unreachable'));
    await expect(failing).rejects.toThrow('Temporal unreachable');
    const next = redemptions.submit(input('b'), 'request');
    held.get('b')?.resolve(approved);
    await expect(next).resolves.toBe(approved);
  });
});
