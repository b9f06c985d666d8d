import type { HttpBindings } from '@hono/node-server';
import { createMiddleware } from 'hono/factory';
import type { ChannelConfig, OperatorConfig } from '../config';
import { SwitchError } from '../domain/errors';
import { type ClientChannels, certificateChannel } from '../tls';
import { cachedVerifier, decoyHash, type SecretVerifier } from './credentials';
import { type Networks, networks } from './networks';
import { sourceAddress } from './source-address';

/** A configured channel; its secret is held only as `hashSecret`'s output. */
export type { ChannelConfig };

export interface ChannelDirectory {
  /**
   * The channel an Authorization header sent from `address` proves: HTTP Basic credentials, or a
   * bearer token when OAuth is on. Throws LoginThrottled when checking it would cost too much now.
   */
  channelFor(authorization: string | undefined, address?: string): Promise<ChannelConfig | undefined>;
  /** The channel `clientId`, for an identity proven elsewhere (a client certificate). */
  find(clientId: string): ChannelConfig | undefined;
  /** The channel `clientId`, if `secret` is its secret. */
  verifyClient(clientId: string, secret: string, address?: string): Promise<ChannelConfig | undefined>;
}

export interface ChannelDirectoryOptions {
  /** The client id (`sub`) of a valid bearer token; without it, bearer tokens prove nothing. */
  verifyBearer?: (token: string) => Promise<string | undefined>;
  verifier?: SecretVerifier;
}

/** The user and password of an HTTP Basic Authorization header. */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The configured channels, checked against stored secret hashes or bearer tokens. */
export function channelDirectory(
  channels: readonly ChannelConfig[],
  { verifyBearer, verifier = cachedVerifier() }: ChannelDirectoryOptions = {},
): ChannelDirectory {
  const byId = new Map(channels.map((channel) => [channel.clientId, channel]));
  // An unknown client id costs the same hash as a known one, so the time tells nothing.
  const verifyClient = async (clientId: string, secret: string, address?: string) => {
    const channel = byId.get(clientId);
    const verified = await verifier.verify(`channel:${clientId}`, secret, channel?.secretHash ?? decoyHash(), address);
    return channel && verified ? channel : undefined;
  };
  return {
    find: (clientId) => byId.get(clientId),
    verifyClient,
    async channelFor(authorization, address) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (bearer) {
        const clientId = verifyBearer && (await verifyBearer(bearer));
        return clientId === undefined ? undefined : byId.get(clientId);
      }
      const basic = basicCredentials(authorization);
      return basic && verifyClient(basic.user, basic.password, address);
    },
  };
}

/** The Hono variables `authenticateChannel` sets. */
export type ChannelVariables = { channel: ChannelConfig | undefined };

/**
 * Resolves the request's channel once, before the rate limit and the routes: from its
 * credentials, or from a client certificate the configured CA verified (mutual TLS). Credentials
 * sent beside a certificate must be valid and the certificate's channel's, or nothing is proven. It refuses nothing itself: a route
 * answers 401, because the ErrorDetail carries ids from the body (contract §1.4).
 */
export function authenticateChannel(directory: ChannelDirectory, clientChannels?: ClientChannels) {
  return createMiddleware<{ Bindings: Partial<HttpBindings>; Variables: ChannelVariables }>(async (c, next) => {
    const certified = certificateChannel(c.env?.incoming?.socket, clientChannels);
    const authorization = c.req.header('authorization');
    const credited =
      authorization === undefined ? undefined : await directory.channelFor(authorization, sourceAddress(c));
    // With a certificate, credentials that are sent must prove the same channel, or nothing is proven.
    const conflict = certified !== undefined && authorization !== undefined && credited?.clientId !== certified;
    const channel = conflict
      ? undefined
      : (credited ?? (certified === undefined ? undefined : directory.find(certified)));
    if (channel && !fromAllowedNetwork(channel, sourceAddress(c))) {
      throw new SwitchError('sourceNotAllowed', 'This channel does not send requests from this address.');
    }
    c.set('channel', channel);
    await next();
  });
}

/** An operator as a request proves them: their name and what they may do. */
export type Operator = Pick<OperatorConfig, 'name' | 'role'>;

export interface OperatorDirectory {
  /** The operator an Authorization header sent from `address` proves; throws LoginThrottled as channels' checks do. */
  identify(authorization: string | undefined, address?: string): Promise<Operator | undefined>;
  /** Whether it proves any operator. */
  authorize(authorization: string | undefined, address?: string): Promise<boolean>;
}

const allowedNetworks = new WeakMap<ChannelConfig, Networks>();

/** Whether the channel accepts requests from `address`: any address, unless it names its networks. */
function fromAllowedNetwork(channel: ChannelConfig, address: string): boolean {
  if (!channel.allowedNetworks) return true;
  let allowed = allowedNetworks.get(channel);
  if (!allowed) {
    allowed = networks(channel.allowedNetworks);
    allowedNetworks.set(channel, allowed);
  }
  return allowed.contains(address);
}

/** Operators, checked by HTTP Basic against their stored secret hashes. */
export function operatorDirectory(
  operators: readonly OperatorConfig[],
  verifier = cachedVerifier(),
): OperatorDirectory {
  const byName = new Map(operators.map((operator) => [operator.name, operator]));
  async function identify(authorization: string | undefined, address?: string): Promise<Operator | undefined> {
    const basic = basicCredentials(authorization);
    if (!basic) return undefined;
    const operator = byName.get(basic.user);
    const stored = operator?.secretHash ?? decoyHash();
    const verified = await verifier.verify(`operator:${basic.user}`, basic.password, stored, address);
    return operator && verified ? { name: operator.name, role: operator.role } : undefined;
  }
  return {
    identify,
    authorize: async (authorization, address) => (await identify(authorization, address)) !== undefined,
  };
}

/**
 * Contract §1.3 step 4: no or bad credentials → 401; valid credentials for another
 * client than the message's `client.id` → 400, with the request's id.
 */
export function authorizeChannel(
  channel: ChannelConfig | undefined,
  message: { id: string; clientId: string },
): ChannelConfig {
  if (!channel) throw new SwitchError('unauthenticated', 'Missing or invalid credentials.', { id: message.id });
  if (channel.clientId !== message.clientId) {
    throw new SwitchError('clientMismatch', 'The credentials do not belong to client.id.', { id: message.id });
  }
  return channel;
}
