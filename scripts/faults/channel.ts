import { setTimeout as sleep } from 'node:timers/promises';
import { basicAuth, demoChannel, type Json } from '../../test/helpers/fixtures';

/**
 * The channel as the contract asks it to behave: an answer it cannot rely on (503, no answer at
 * all, and for an advice also a 504 or 500 from the switch itself) is followed by a retry with
 * the same id (a provision by `/retry`, anything else sent again) until the switch gives a
 * definite answer. A request the switch answers with its own 504 or 500 is reversed by the
 * switch for the channel: that answer is final.
 */

export interface Reply {
  /** 0: no HTTP answer (refused, reset, or no answer in time). */
  status: number;
  body: Json;
  /** How many times the message was sent again before this answer. */
  retries: number;
}

export const channelId = demoChannel.clientId;
const authorization = basicAuth(demoChannel.clientId, demoChannel.password);

/** What was sent: a request (provision, redemption, refund) or an advice that settles one. */
export type MessageKind = 'request' | 'advice';

/**
 * A definite answer: any 2xx or 4xx, and a 5xx that is the transaction's own outcome (the
 * provider timed out, failed or could not be reached: the answer names the provider, and a
 * retry answers it again). A request answered with the switch's own 504 or 500 is definite too:
 * the switch reversed it. A 503 from the switch itself, or an advice answered with its 5xx,
 * leaves the outcome open.
 */
export function isDefinite(reply: Pick<Reply, 'status' | 'body'>, kind: MessageKind = 'request'): boolean {
  if (reply.status === 0 || reply.status === 429) return false;
  if (reply.status < 500) return true;
  const detail = reply.body.detailMessage as { provider?: unknown } | undefined;
  if (typeof detail?.provider === 'string') return true;
  return kind === 'request' && reply.status !== 503;
}

export interface ChannelStats {
  /** Messages sent again after an answer that was not definite. */
  retried: number;
  /** Answers that were not definite, by what they were: `504`, `500`, `503`, `no answer`. */
  indefinite: Record<string, number>;
}

export function createChannel(apiUrl: string, options: { patienceMs: number; requestTimeoutMs: number }) {
  const stats: ChannelStats = { retried: 0, indefinite: {} };

  async function send(path: string, body: Json): Promise<Omit<Reply, 'retries'>> {
    try {
      const response = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
    } catch (error) {
      return { status: 0, body: { error: String((error as { cause?: unknown }).cause ?? error) } };
    }
  }

  /** Sends `body` to `path`, then to `retryPath` (the same by default) until the answer is definite. */
  async function exchange(
    path: string,
    body: Json,
    { retryPath = path, patienceMs = options.patienceMs, kind = 'request' as MessageKind } = {},
  ): Promise<Reply> {
    const giveUpAt = Date.now() + patienceMs;
    let retries = 0;
    let reply = await send(path, body);
    const note = () => {
      const answer = reply.status === 0 ? 'no answer' : String(reply.status);
      if (!isDefinite(reply, kind)) stats.indefinite[answer] = (stats.indefinite[answer] ?? 0) + 1;
    };
    note();
    while (!isDefinite(reply, kind) && Date.now() < giveUpAt) {
      await sleep(500 + retries * 250);
      retries += 1;
      stats.retried += 1;
      reply = await send(retryPath, body);
      note();
    }
    return { ...reply, retries };
  }

  return {
    stats,
    /** A provision; an open outcome is followed by `POST /vouchers/{id}/retry`. */
    provision: (request: Json) =>
      exchange('/suv/v1/vouchers', request, { retryPath: `/suv/v1/vouchers/${request.id}/retry` }),
    /** A provision sent once, whatever the answer: a channel that reverses when it gets no definite one. */
    provisionOnce: (request: Json) => exchange('/suv/v1/vouchers', request, { patienceMs: 0 }),
    /** A retry by provisionId, sent first. */
    retryProvision: (request: Json) => exchange(`/suv/v1/vouchers/${request.id}/retry`, request),
    /** A redemption or refund; sent again with the same id while its outcome is open. */
    use: (kind: 'redemption' | 'refund', request: Json) =>
      exchange(kind === 'redemption' ? '/suv/v1/redemptions' : '/suv/v1/refunds', request),
    /** A confirmation or reversal of a provision, redemption or refund; sent again with the same id. */
    advise: (type: 'provision' | 'redemption' | 'refund', kind: 'confirm' | 'reverse', advice: Json) =>
      exchange(`${adviceBase[type]}/${kind === 'confirm' ? 'confirmations' : 'reversals'}`, advice, {
        kind: 'advice',
      }),
  };
}

const adviceBase = {
  provision: '/suv/v1/vouchers',
  redemption: '/suv/v1/redemptions',
  refund: '/suv/v1/refunds',
} as const;

export type Channel = ReturnType<typeof createChannel>;
