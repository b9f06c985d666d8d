import { timingSafeEqual } from 'node:crypto';
import type { ChannelConfig } from '../config';
import { SwitchError } from '../domain/errors';

export interface ChannelDirectory {
  authenticate(authorization: string | undefined): ChannelConfig | undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The configured channels, checked against HTTP Basic credentials. */
export function channelDirectory(channels: ChannelConfig[]): ChannelDirectory {
  const byId = new Map(channels.map((channel) => [channel.clientId, channel]));
  return {
    authenticate(authorization) {
      const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) return undefined;
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const channel = byId.get(decoded.slice(0, colon));
      return channel && sameSecret(decoded.slice(colon + 1), channel.password) ? channel : undefined;
    },
  };
}

/**
 * Contract §1.3 step 4: no or bad credentials → 401; valid credentials for another
 * client than the message's `client.id` → 400, with the request's id.
 */
export function authorizeChannel(
  directory: ChannelDirectory,
  authorization: string | undefined,
  message: { id: string; clientId: string },
): ChannelConfig {
  const channel = directory.authenticate(authorization);
  if (!channel) throw new SwitchError('unauthenticated', 'Missing or invalid credentials.', { id: message.id });
  if (channel.clientId !== message.clientId) {
    throw new SwitchError('clientMismatch', 'The credentials do not belong to client.id.', { id: message.id });
  }
  return channel;
}
