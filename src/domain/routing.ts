import type { ProviderId } from './providers';

export interface RouteRequest {
  productId?: string;
  receiverId?: string;
}

export interface RoutingTables {
  /**
   * The catalogue: which provider and voucher provider sell a product; `unavailable` when no
   * provider lists it but some provider's list could not be fetched, so it may well be sold.
   */
  findProduct(productId: string): { provider: ProviderId; voucherProvider?: string } | 'unavailable' | undefined;
  /** Receiver institutions mapped to providers (configuration). */
  receivers: Partial<Record<string, ProviderId>>;
  /** The channel's default provider, if it has one. */
  channelDefault?: ProviderId;
}

export type Route =
  | { ok: true; provider: ProviderId; voucherProvider?: string; by: 'product' | 'receiver' | 'channel' }
  /** `temporary`: only an unavailable catalogue stands in the way; the same request may be routed later. */
  | { ok: false; reason: string; temporary: boolean };

/** Contract §1.6: by product, then by receiver institution, then the channel's default provider. */
export function route(request: RouteRequest, tables: RoutingTables): Route {
  if (request.productId !== undefined) {
    const product = tables.findProduct(request.productId);
    if (product === 'unavailable') {
      return {
        ok: false,
        reason: `no provider's catalogue could be read in full to find product '${request.productId}'`,
        temporary: true,
      };
    }
    if (product) return { ok: true, ...product, by: 'product' };
    return { ok: false, reason: `no provider sells product '${request.productId}'`, temporary: false };
  }
  const byReceiver = request.receiverId === undefined ? undefined : tables.receivers[request.receiverId];
  if (byReceiver) return { ok: true, provider: byReceiver, by: 'receiver' };
  if (tables.channelDefault) return { ok: true, provider: tables.channelDefault, by: 'channel' };
  const receiver = request.receiverId === undefined ? 'no receiver' : `receiver '${request.receiverId}'`;
  return {
    ok: false,
    reason: `no product, ${receiver} is not routed, and the channel has no default provider`,
    temporary: false,
  };
}
