import type { ProviderId } from '../domain/providers';
import type { Institution, ProvisionInput } from '../domain/provision';
import type { UseInput } from '../domain/use';
import type { Logger } from '../log';
import type { ProductCatalogue } from '../providers/catalogue';
import type { VoucherKeyer } from '../voucher-key';
import type { ChannelDirectory } from './auth';
import type { TransactionGateway, VoucherDirectory } from './transactions';

/** Everything the channel API needs, passed in so tests can build it with real parts. */
export interface AppDeps {
  channels: ChannelDirectory;
  provisions: TransactionGateway<ProvisionInput>;
  redemptions: TransactionGateway<UseInput>;
  refunds: TransactionGateway<UseInput>;
  vouchers: VoucherDirectory;
  voucherKey: VoucherKeyer;
  /** The voucher key of the channel's voucher with this serial number, from the reporting copy. */
  voucherKeyBySerial(channelId: string, serialNumber: string): Promise<string | undefined>;
  catalogue: ProductCatalogue;
  /** Receiver institutions routed to providers. */
  receiverRoutes: Partial<Record<string, ProviderId>>;
  switchInstitution: Institution;
  deadlineMs(provider: ProviderId): number;
  deadlinesMs: Record<ProviderId, number>;
  /** The single-messaging confirmation window, or the dual-messaging confirmation deadline. */
  settleAfterMs(messaging: 'single' | 'dual'): number;
  /** Each check resolves when its dependency answers and rejects otherwise. */
  health: { temporal(): Promise<void>; reportingStore(): Promise<void> };
  logger: Logger;
  clock(): Date;
  newId(): string;
}

export type AppEnv = { Variables: { deps: AppDeps } };
