import { describe, expect, it } from 'vitest';
import { certificateChannel, channelOfCertificate, clientChannelsSchema } from '../../src/tls';

const fingerprint = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const channels = clientChannelsSchema.parse(
  `cn:bank.example=22222222, sha256:${fingerprint.replaceAll(':', '').toLowerCase()}=55555555`,
);

describe('TLS_CLIENT_CHANNELS', () => {
  it('reads common names and fingerprints, with or without colons, in either case', () => {
    expect(channels.commonNames).toEqual(new Map([['bank.example', '22222222']]));
    expect(channels.fingerprints).toEqual(new Map([[fingerprint.replaceAll(':', ''), '55555555']]));
    expect(clientChannelsSchema.parse(`SHA256:${fingerprint}=55555555`).fingerprints).toEqual(channels.fingerprints);
    expect(clientChannelsSchema.parse('')).toEqual({ commonNames: new Map(), fingerprints: new Map() });
  });

  it('refuses entries without a kind or a client, short fingerprints, and a subject mapped twice', () => {
    for (const bad of ['bank.example=22222222', 'cn:bank.example', 'sha256:ABCD=22222222', 'cn:a=1,cn:a=2']) {
      expect(clientChannelsSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('channelOfCertificate', () => {
  it('maps a certificate by its fingerprint first, then by its common name', () => {
    expect(channelOfCertificate({ fingerprint256: fingerprint, subject: { CN: 'bank.example' } }, channels)).toBe(
      '55555555',
    );
    expect(channelOfCertificate({ fingerprint256: 'AA:BB', subject: { CN: 'bank.example' } }, channels)).toBe(
      '22222222',
    );
  });

  it('knows no channel for an unmapped certificate, nor by an ambiguous subject with several CNs', () => {
    expect(
      channelOfCertificate({ fingerprint256: 'AA:BB', subject: { CN: 'shop.example' } }, channels),
    ).toBeUndefined();
    const twoNames = { fingerprint256: 'AA:BB', subject: { CN: ['bank.example', 'shop.example'] } };
    expect(channelOfCertificate(twoNames as never, channels)).toBeUndefined();
  });
});

describe('certificateChannel', () => {
  it('knows no channel without a TLS socket, as under app.request() or plain HTTP', () => {
    expect(certificateChannel(undefined, channels)).toBeUndefined();
    expect(certificateChannel({ authorized: true }, channels)).toBeUndefined();
  });
});
