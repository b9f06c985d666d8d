import type { ReportingDb } from '../db/client';
import type { ProviderId } from '../domain/providers';
import type { Institution, ProvisionInput } from '../domain/provision';
import type { BusinessDay, BusinessDaySettings } from '../domain/settlement';
import type { UseInput } from '../domain/use';
import type { Logger, LogVariables } from '../log';
import type { Metrics } from '../metrics';
import type { ProductCatalogue } from '../providers/catalogue';
import type { ClientChannels } from '../tls';
import type { VoucherKeyer } from '../voucher-key';
import type { ChannelDirectory, ChannelVariables, Operator, OperatorDirectory } from './auth';
import type { BackOffice } from './back-office';
import type { Networks } from './networks';
import type { OAuth } from './oauth';
import type { CodecRouteOptions } from './routes/codec';
import type { TransactionGateway, VoucherDirectory } from './transactions';

/** Everything the channel API needs, passed in so tests can build it with real parts. */
export interface AppDeps {
  channels: ChannelDirectory;
  /** Proxies whose X-Forwarded-For names the client's address; undefined: the TCP peer is the client. */
  trustedProxies?: Networks;
  /** Mutual TLS: which channel each client certificate stands for; undefined when off. */
  clientCertificates?: ClientChannels;
  /** OAuth2 client credentials beside Basic auth; undefined when off. */
  oauth?: OAuth;
  /** Per channel; undefined: no limit. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** Operators (the /ops API, the console): who an Authorization header proves, and their role. */
  operators: OperatorDirectory;
  /** Operator actions that move money, and how they run: at once, or once a second operator approves. */
  backOffice: BackOffice;
  /** The reporting copy, read by the operator API. */
  reportingDb: ReportingDb;
  /** Channel metrics and `GET /metrics`; undefined: neither. */
  metrics?: Metrics;
  /** `GET /metrics` asks for operator credentials. */
  metricsRequireOperator?: boolean;
  /** The payload codec endpoint for the Temporal Web UI, for operators. */
  codec: CodecRouteOptions;
  provisions: TransactionGateway<ProvisionInput>;
  redemptions: TransactionGateway<UseInput>;
  refunds: TransactionGateway<UseInput>;
  vouchers: VoucherDirectory;
  /** The business day's cut-off, and how a closed day's settlement report is produced and stored. */
  settlement: { settings: BusinessDaySettings; produce(day: BusinessDay): Promise<'stored' | 'producing'> };
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
  /** The switch's stable reference for a transaction (see `switchReferenceFor`). */
  referenceFor(transactionId: string): string;
}

/** The request's channel is resolved once by `authenticateChannel`, before the rate limit and the routes. */
export type AppEnv = {
  Variables: {
    deps: AppDeps /** Set on operators' paths once their credentials are checked. */;
    operator?: Operator;
  } & ChannelVariables &
    LogVariables;
};
