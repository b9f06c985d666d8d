import type { ProviderId } from '../domain/providers';
import type { Institution } from '../domain/provision';
import type { Logger } from '../log';
import type { ProductCatalogue } from '../providers/catalogue';
import type { ChannelDirectory } from './auth';
import type { ProvisionGateway } from './provisions';

/** Everything the channel API needs, passed in so tests can build it with real parts. */
export interface AppDeps {
  channels: ChannelDirectory;
  provisions: ProvisionGateway;
  catalogue: ProductCatalogue;
  /** Receiver institutions routed to providers. */
  receiverRoutes: Partial<Record<string, ProviderId>>;
  switchInstitution: Institution;
  deadlineMs(provider: ProviderId): number;
  /** The single-messaging confirmation window, or the dual-messaging confirmation deadline. */
  settleAfterMs(messaging: 'single' | 'dual'): number;
  /** Each check resolves when its dependency answers and rejects otherwise. */
  health: { temporal(): Promise<void>; reportingStore(): Promise<void> };
  logger: Logger;
  clock(): Date;
  newId(): string;
}

export type AppEnv = { Variables: { deps: AppDeps } };
