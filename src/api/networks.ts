import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** A network as CIDR (`10.0.0.0/8`, `2001:db8::/32`) or one address. */
export const cidrSchema = z.string().refine((value) => parseCidr(value) !== undefined, 'must be an IP address or CIDR');

function parseCidr(value: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  return { address, prefix, type: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The networks, for `contains`; entries already checked by `cidrSchema`. */
export function networks(cidrs: readonly string[]) {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.type);
  }
  return {
    contains(address: string): boolean {
      // An IPv4 peer on a dual-stack socket reads `::ffff:a.b.c.d`.
      const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
      const version = isIP(plain);
      return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

export type Networks = ReturnType<typeof networks>;
