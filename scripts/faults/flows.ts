import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
} from '../../test/helpers/fixtures';
import type { Channel, Reply } from './channel';
import {
  type AdviceSent,
  type Answer,
  answerOf,
  type LoadProvider,
  type Model,
  type TransactionType,
  type Txn,
} from './model';

/**
 * The mixed load: what channels do, one flow per customer journey, each recording in the model
 * what it sent and what it was told.
 */

export interface FlowContext {
  channel: Channel;
  model: Model;
}

const random = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
const think = () => sleep(random(100, 400));

const products: Record<LoadProvider, () => Json> = {
  flash: () => ({
    product: { productId: 'flash-1voucher' },
    amounts: { requestAmount: { amount: random(10, 500) * 100, currency: '710' } },
  }),
  netcare: () => ({
    product: { productId: 'netcare-gp-visit' },
    amounts: { requestAmount: { amount: 55_000, currency: '710' } },
  }),
  stellr: () => ({
    product: { productId: 'stellr-takealot-100' },
    amounts: { requestAmount: { amount: 10_000, currency: '710' } },
  }),
};

/**
 * A provision. Its channel either retries until the outcome is definite, or (a third of them,
 * as many terminals do) reverses it when the first answer leaves the outcome open.
 */
async function provision(ctx: FlowContext, provider: LoadProvider, scenario: string, overrides: Json = {}) {
  const request = makeProvisionRequest({ ...products[provider](), ...overrides });
  const reversesWhenOpen = Math.random() < 1 / 3;
  const reply = await (reversesWhenOpen ? ctx.channel.provisionOnce(request) : ctx.channel.provision(request));
  const txn = ctx.model.add({ type: 'provision', id: request.id as string, provider, scenario }, reply);
  if (reversesWhenOpen && !txn.answer) {
    ctx.model.counts.reversedWhenOpen += 1;
    txn.scenario = `${scenario}, reversed when its outcome was open`;
    await advise(ctx, txn, 'reverse');
  }
  return txn;
}

const makers = { provision: makeAdvice, redemption: makeBasicAdvice, refund: makeBasicAdvice };

/** The channel confirms or reverses `txn`, sending it again until the answer is definite. */
async function advise(ctx: FlowContext, txn: Txn, kind: AdviceSent['kind']): Promise<AdviceSent> {
  const advice = kind === 'confirm' ? makers[txn.type](txn.id) : makeReversal(txn.id);
  txn.advice = { kind, id: advice.id as string };
  const reply = await ctx.channel.advise(txn.type, kind, advice);
  txn.advice.answer = answerOf(reply, 'advice');
  return txn.advice;
}

const approved = (txn: Txn) => txn.answer?.status === 201;

/** A redemption or refund of `code`; an outcome learnt only as DUPLICATE_RECORD is reversed, as a terminal would. */
async function use(ctx: FlowContext, type: Exclude<TransactionType, 'provision'>, code: string, scenario: string) {
  const request = type === 'redemption' ? makeRedemptionRequest(code) : makeRefundRequest(code);
  const reply = await ctx.channel.use(type, request);
  const txn = ctx.model.add({ type, id: request.id as string, provider: 'flash', scenario }, reply);
  if (txn.answer?.errorType === 'DUPLICATE_RECORD') await advise(ctx, txn, 'reverse');
  return txn;
}

/** A provision confirmed by the channel; its voucher code once confirmed. */
async function confirmedVoucher(ctx: FlowContext, scenario: string): Promise<string | undefined> {
  const txn = await provision(ctx, 'flash', scenario);
  if (!approved(txn)) return undefined;
  await think();
  const advice = await advise(ctx, txn, 'confirm');
  return advice.answer?.status === 202 ? txn.answer?.voucherCode : undefined;
}

/**
 * Two answers for one provision id must name the same voucher (a 201, or a DUPLICATE_RECORD
 * with the original voucher), or the same outcome; a DUPLICATE_RECORD of a provision that was
 * not approved carries no voucher.
 */
function sameOutcome(ctx: FlowContext, id: string, answers: (Answer | undefined)[]) {
  const [a, b] = answers;
  // The switch's own error for one copy reverses the transaction: the other's voucher is then dead, as the checks see.
  const switchError = (answer: Answer) => answer.status >= 500 && answer.reason === undefined;
  if (!a || !b || switchError(a) || switchError(b)) return;
  const duplicate = a.errorType === 'DUPLICATE_RECORD' || b.errorType === 'DUPLICATE_RECORD';
  const agree =
    a.voucherCode || b.voucherCode ? a.voucherCode === b.voucherCode : duplicate || a.errorType === b.errorType;
  if (!agree) ctx.model.problem('inconsistent', 'two answers for one provision disagree', { id, a, b });
}

/**
 * Of the replies to copies of one provision, the transaction's own answer: the approval, or the
 * definite answer not refusing a duplicate.
 */
function ownAnswer(replies: Reply[]): Reply {
  const definite = replies.filter((r) => answerOf(r) !== undefined);
  return (
    definite.find((r) => r.status === 201) ??
    definite.find((r) => answerOf(r)?.errorType !== 'DUPLICATE_RECORD') ??
    definite[0] ??
    (replies[0] as Reply)
  );
}

/**
 * Copies of one flash provision, sent by `send`: their answers must agree; the transaction keeps
 * its own answer and, when approved, is confirmed.
 */
async function copiesOfOneProvision(ctx: FlowContext, scenario: string, send: (request: Json) => Promise<Reply[]>) {
  const request = makeProvisionRequest(products.flash());
  const replies = await send(request);
  sameOutcome(
    ctx,
    request.id as string,
    replies.map((reply) => answerOf(reply)),
  );
  const txn = ctx.model.add(
    { type: 'provision', id: request.id as string, provider: 'flash', scenario },
    ownAnswer(replies),
  );
  if (approved(txn)) await advise(ctx, txn, 'confirm');
  return { id: txn.id, replies };
}

export type Flow = (ctx: FlowContext) => Promise<void>;

const settled =
  (provider: LoadProvider, kind: AdviceSent['kind']): Flow =>
  async (ctx) => {
    const txn = await provision(ctx, provider, `${provider} ${kind === 'confirm' ? 'confirmed' : 'reversed'}`);
    if (!approved(txn)) return;
    await think();
    await advise(ctx, txn, kind);
  };

/** The flows and how often each is picked. */
export const flows: { name: string; weight: number; run: Flow }[] = [
  { name: 'flash confirmed', weight: 18, run: settled('flash', 'confirm') },
  { name: 'flash reversed', weight: 7, run: settled('flash', 'reverse') },
  {
    name: 'flash left unconfirmed',
    weight: 4,
    run: async (ctx) => void (await provision(ctx, 'flash', 'flash left unconfirmed')),
  },
  { name: 'netcare confirmed', weight: 6, run: settled('netcare', 'confirm') },
  { name: 'netcare reversed', weight: 2, run: settled('netcare', 'reverse') },
  { name: 'stellr confirmed', weight: 5, run: settled('stellr', 'confirm') },
  { name: 'stellr reversed', weight: 2, run: settled('stellr', 'reverse') },
  {
    name: 'declined by the provider',
    weight: 2,
    run: async (ctx) => {
      const overrides = { amounts: { requestAmount: { amount: 500, currency: '710' } } }; // below the minimum
      const txn = await provision(ctx, 'flash', 'declined', overrides);
      // Declined, or (the provider down or timing out) failed; never approved.
      if (txn.answer?.status === 201) {
        ctx.model.problem('inconsistent', 'a provision below the minimum was not declined', {
          id: txn.id,
          answer: txn.answer,
        });
      }
    },
  },
  {
    name: 'retry while in flight',
    weight: 7,
    run: async (ctx) => {
      ctx.model.counts.retriesInFlight += 1;
      await copiesOfOneProvision(ctx, 'retry while in flight', (request) =>
        Promise.all([
          ctx.channel.provision(request),
          sleep(random(20, 200)).then(() => ctx.channel.retryProvision(request)),
        ]),
      );
    },
  },
  {
    name: 'same message twice at once',
    weight: 6,
    run: async (ctx) => {
      ctx.model.counts.duplicatesAtOnce += 1;
      const { id, replies } = await copiesOfOneProvision(ctx, 'same message twice at once', (request) =>
        Promise.all([ctx.channel.provision(request), ctx.channel.provision(request)]),
      );
      if (replies.filter((r) => r.status === 201 && r.retries === 0).length > 1) {
        ctx.model.problem('duplicated', 'two copies of one provision were both provisioned', { id });
      }
    },
  },
  {
    name: 'reversal before its request',
    weight: 5,
    run: async (ctx) => {
      ctx.model.counts.earlyReversals += 1;
      const request = makeProvisionRequest(products.flash());
      const reversal = makeReversal(request.id as string);
      const early = answerOf(await ctx.channel.advise('provision', 'reverse', reversal), 'advice');
      if (early && early.errorType !== 'UNABLE_TO_LOCATE_RECORD') {
        const message = 'a reversal of an unseen provision was not answered UNABLE_TO_LOCATE_RECORD';
        ctx.model.problem('inconsistent', message, { id: request.id, early });
      }
      await think();
      const reply = await ctx.channel.provision(request);
      const txn = ctx.model.add(
        { type: 'provision', id: request.id as string, provider: 'flash', scenario: 'reversal before its request' },
        reply,
      );
      txn.earlyReversal = { kind: 'reverse', id: reversal.id as string, answer: early };
      if (txn.answer && txn.answer.errorType !== 'VOUCHER_ALREADY_REVERSED') {
        ctx.model.problem('inconsistent', 'a provision reversed before it came was not refused', {
          id: txn.id,
          answer: txn.answer,
        });
      }
    },
  },
  {
    name: 'netcare retried after its answer',
    weight: 3,
    run: async (ctx) => {
      const request = makeProvisionRequest(products.netcare());
      const reply = await ctx.channel.provision(request);
      const retry = await ctx.channel.retryProvision(request);
      const txn = ctx.model.add(
        { type: 'provision', id: request.id as string, provider: 'netcare', scenario: 'netcare retried' },
        reply,
      );
      sameOutcome(ctx, txn.id, [txn.answer, answerOf(retry)]);
      if (approved(txn)) await advise(ctx, txn, 'confirm');
    },
  },
  {
    name: 'redeemed, then refunded',
    weight: 12,
    run: async (ctx) => {
      const code = await confirmedVoucher(ctx, 'voucher for redemption');
      if (!code) return;
      await think();
      const redemption = await use(ctx, 'redemption', code, 'redemption');
      if (!approved(redemption)) return;
      await think();
      if (Math.random() < 0.25) return void (await advise(ctx, redemption, 'reverse'));
      if ((await advise(ctx, redemption, 'confirm')).answer?.status !== 202) return;
      await think();
      const refund = await use(ctx, 'refund', code, 'refund');
      if (!approved(refund)) return;
      await think();
      await advise(ctx, refund, Math.random() < 0.7 ? 'confirm' : 'reverse');
    },
  },
  {
    name: 'two redemptions of one voucher at once',
    weight: 4,
    run: async (ctx) => {
      const code = await confirmedVoucher(ctx, 'voucher for two redemptions');
      if (!code) return;
      ctx.model.counts.concurrentRedemptions += 1;
      const [a, b] = await Promise.all([
        use(ctx, 'redemption', code, 'concurrent redemption'),
        use(ctx, 'redemption', code, 'concurrent redemption'),
      ]);
      if (approved(a) && approved(b))
        ctx.model.problem('duplicated', 'one voucher redeemed twice', { ids: [a.id, b.id] });
      for (const txn of [a, b]) if (approved(txn)) await advise(ctx, txn, 'confirm');
    },
  },
];

/** Runs flows picked by weight on `concurrency` lanes until `until` returns true. */
export async function runLoad(ctx: FlowContext, concurrency: number, until: () => boolean) {
  const total = flows.reduce((sum, flow) => sum + flow.weight, 0);
  const pick = () => {
    let ticket = Math.random() * total;
    for (const flow of flows) {
      ticket -= flow.weight;
      if (ticket < 0) return flow;
    }
    return flows[0] as (typeof flows)[0];
  };
  const lane = async () => {
    while (!until()) {
      const flow = pick();
      await flow.run(ctx).catch((error) => ctx.model.problem('inconsistent', `flow "${flow.name}" failed: ${error}`));
      await think();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}
