import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { insecureDevPayloadKeys } from '../../src/temporal/codec';
import { createTestPki, type PkiFiles, writePkiFiles } from '../helpers/certificates';

/** Secrets of one's own, as production needs them. */
const ownSecrets = {
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  VOUCHER_HASH_KEY: 'a-key-of-our-own-1234',
  SWITCH_CHANNELS: 'bank:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
  OPERATORS: 'ops:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
};
const devChannelHash = loadConfig({}).channels[0]?.secretHash;

describe('loadConfig', () => {
  it('starts the embedded development stack with no settings at all', () => {
    const config = loadConfig({});
    expect(config.api.port).toBe(8080);
    expect(config.temporal.address).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.channels).toEqual([
      { clientId: '22222222', secretHash: expect.stringMatching(/^scrypt\./), messaging: 'dual' },
    ]);
    expect(config.routing.receivers).toEqual({ '44444444': 'flash' });
    expect(config.providers.deadlineMs('flash')).toBe(10_000);
  });

  it('reads channels with their messaging and default provider, and per-provider deadlines', () => {
    const config = loadConfig({
      SWITCH_CHANNELS: 'bank:scrypt.bank-hash:single:ott, shop:scrypt.shop-hash',
      PROVIDER_DEADLINES: 'stellr:2500',
      PROVIDER_DEADLINE_MS: '4000',
    });
    expect(config.channels).toEqual([
      { clientId: 'bank', secretHash: 'scrypt.bank-hash', messaging: 'single', defaultProvider: 'ott' },
      { clientId: 'shop', secretHash: 'scrypt.shop-hash', messaging: 'dual' },
    ]);
    expect(config.providers.deadlineMs('stellr')).toBe(2500);
    expect(config.providers.deadlineMs('ott')).toBe(4000);
  });

  it('refuses unknown providers and bad numbers, naming the setting', () => {
    expect(() => loadConfig({ SWITCH_RECEIVER_ROUTES: '1234:nobody' })).toThrow(/SWITCH_RECEIVER_ROUTES/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SWITCH_CHANNELS: 'bank' })).toThrow(/SWITCH_CHANNELS/);
    // Admission control has no off: a limit of none would let a flood queue past every timeout.
    expect(loadConfig({}).api.maxTransactionsInFlight).toBe(200);
    for (const value of ['0', '-5', '1.5', 'many'])
      expect(() => loadConfig({ MAX_TRANSACTIONS_IN_FLIGHT: value })).toThrow(/MAX_TRANSACTIONS_IN_FLIGHT/);
  });

  it('takes channel and operator secrets only in their hashed form', () => {
    expect(() => loadConfig({ SWITCH_CHANNELS: 'bank:s3cret' })).toThrow(/SWITCH_CHANNELS[\s\S]*hash-secret/);
    expect(() => loadConfig({ OPERATORS: 'ops:s3cret' })).toThrow(/OPERATORS[\s\S]*hash-secret/);
  });

  it('gives each operator a role: viewer unless named, backoffice only when named; four eyes off unless set', () => {
    const hash = 'scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2FsdA.aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    const config = loadConfig({ OPERATORS: `ann:${hash},bo:${hash}:backoffice`, FOUR_EYES_APPROVAL: 'true' });
    expect(config.operators.map(({ name, role }) => [name, role])).toEqual([
      ['ann', 'viewer'],
      ['bo', 'backoffice'],
    ]);
    expect(config.fourEyesApproval).toBe(true);
    expect(loadConfig({}).fourEyesApproval).toBe(false);
    expect(() => loadConfig({ OPERATORS: `ann:${hash}:admin` })).toThrow(/OPERATORS/);
  });

  it('refuses a provider deadline that is not shorter than the channel response timeout', () => {
    expect(() => loadConfig({ PROVIDER_DEADLINE_MS: '30000', CHANNEL_RESPONSE_TIMEOUT_MS: '30000' })).toThrow(
      /PROVIDER_DEADLINE_MS: 30000 must be shorter than CHANNEL_RESPONSE_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ PROVIDER_DEADLINES: 'ott:40000' })).toThrow(
      /PROVIDER_DEADLINES: ott's 40000 must be shorter than CHANNEL_RESPONSE_TIMEOUT_MS/,
    );
    expect(loadConfig({ PROVIDER_DEADLINES: 'ott:29999' }).providers.deadlineMs('ott')).toBe(29_999);
  });

  it('keeps a single-messaging reversal possible for 15 minutes, and never less in production', () => {
    expect(loadConfig({}).settlement.confirmationWindowMs).toBe(900_000);
    expect(loadConfig({ CONFIRMATION_WINDOW_MS: '10000' }).settlement.confirmationWindowMs).toBe(10_000);
    expect(() => loadConfig({ NODE_ENV: 'production', CONFIRMATION_WINDOW_MS: '60000' })).toThrow(
      /CONFIRMATION_WINDOW_MS/,
    );
  });

  it('refuses the published development keys in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PAYLOAD_KEYS[\s\S]*VOUCHER_HASH_KEY/);
    expect(loadConfig({ NODE_ENV: 'production', ...ownSecrets }).payloadCodec.keys.activeKeyId).toBe('k1');
    expect(() => loadConfig({ PAYLOAD_KEYS: 'k1:short' })).toThrow(/PAYLOAD_KEYS/);
  });

  it('refuses every development login and key in production, naming the setting', () => {
    const production = { NODE_ENV: 'production', ...ownSecrets };
    const refused = (settings: Record<string, string>) => {
      try {
        loadConfig({ ...production, ...settings });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    // The defaults: the demo channel and operator.
    const { SWITCH_CHANNELS: _, OPERATORS: __, ...withDefaults } = production;
    expect(() => loadConfig(withDefaults)).toThrow(
      /SWITCH_CHANNELS: the development channel[\s\S]*OPERATORS: the development operator/,
    );
    expect(refused({ SWITCH_CHANNELS: `${ownSecrets.SWITCH_CHANNELS},22222222:${devChannelHash}` })).toMatch(
      /^SWITCH_CHANNELS: the development channel/,
    );
    // The development payload key anywhere in the list, under any id.
    const devKey = insecureDevPayloadKeys.slice(insecureDevPayloadKeys.indexOf(':') + 1);
    expect(refused({ PAYLOAD_KEYS: `${ownSecrets.PAYLOAD_KEYS},old:${devKey}` })).toMatch(
      /^PAYLOAD_KEYS: the published/,
    );
    expect(refused({ METRICS_REQUIRE_OPERATOR: 'false' })).toMatch(/^METRICS_REQUIRE_OPERATOR/);
    expect(loadConfig(production).metrics.requireOperator).toBe(true);
    expect(loadConfig({}).metrics.requireOperator).toBe(false);
    expect(loadConfig(production).payloadCodec.refusePlain).toBe(true);
  });
});

describe('loadConfig for the channel API', () => {
  let files: PkiFiles;
  beforeAll(async () => {
    files = writePkiFiles(await createTestPki());
  });
  afterAll(() => files.remove());
  const api = { servesApi: true };

  it('refuses plain HTTP unless it is explicitly allowed, saying how to fix it', () => {
    expect(() => loadConfig({}, api)).toThrow(ConfigError);
    expect(() => loadConfig({}, api)).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE.*ALLOW_PLAIN_HTTP=true/);
    expect(() => loadConfig({ ALLOW_PLAIN_HTTP: 'false' }, api)).toThrow(/ALLOW_PLAIN_HTTP/);
    expect(loadConfig({ ALLOW_PLAIN_HTTP: 'true' }, api).api).toMatchObject({ tls: undefined, plainHttp: true });
    // The worker and the simulator serve no channel API.
    expect(loadConfig({}).api).toMatchObject({ tls: undefined, plainHttp: false });
  });

  it('reads the certificate, its key and the client CA, with TLS 1.2 as the lowest version by default', () => {
    const { tls } = loadConfig(files.env, api).api;
    expect(tls).toMatchObject({ minVersion: 'TLSv1.2' });
    expect(tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(tls?.key).toContain('PRIVATE KEY');
    expect(tls?.ca).toContain('BEGIN CERTIFICATE');
    const { TLS_CA_FILE: _, ...serverOnly } = files.env;
    expect(loadConfig({ ...serverOnly, TLS_MIN_VERSION: 'TLSv1.3' }, api).api.tls).toMatchObject({
      ca: undefined,
      minVersion: 'TLSv1.3',
    });
  });

  it('maps client certificates to configured channels only', () => {
    const config = loadConfig({ ...files.env, TLS_CLIENT_CHANNELS: 'cn:bank.example=22222222' }, api);
    expect(config.api.tls?.clientChannels.commonNames.get('bank.example')).toBe('22222222');
    expect(() => loadConfig({ ...files.env, TLS_CLIENT_CHANNELS: 'cn:bank.example=99999999' }, api)).toThrow(
      /TLS_CLIENT_CHANNELS: 99999999 is not a configured channel/,
    );
    expect(() => loadConfig({ ...files.env, TLS_CLIENT_CHANNELS: 'bank.example' }, api)).toThrow(/TLS_CLIENT_CHANNELS/);
  });

  it('refuses half a TLS setup, unreadable or mismatched files, and versions below TLS 1.2', () => {
    const { TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE } = files.env;
    expect(() => loadConfig({ TLS_CERT_FILE }, api)).toThrow(/set both/);
    expect(() => loadConfig({ TLS_KEY_FILE, ALLOW_PLAIN_HTTP: 'true' }, api)).toThrow(/set both/);
    expect(() => loadConfig({ TLS_CA_FILE, ALLOW_PLAIN_HTTP: 'true' }, api)).toThrow(/TLS_CA_FILE/);
    expect(() => loadConfig({ TLS_CLIENT_CHANNELS: 'cn:a=22222222', ALLOW_PLAIN_HTTP: 'true' }, api)).toThrow(
      /needs TLS_CA_FILE/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE, TLS_KEY_FILE: '/nonexistent/server.key' }, api)).toThrow(
      /TLS_KEY_FILE: ENOENT/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: TLS_CA_FILE, TLS_KEY_FILE }, api)).toThrow(/key values mismatch/);
    expect(() => loadConfig({ ...files.env, TLS_CA_FILE: TLS_KEY_FILE }, api)).toThrow(/TLS_CA_FILE/);
    expect(() => loadConfig({ ...files.env, TLS_MIN_VERSION: 'TLSv1.1' }, api)).toThrow(/TLS_MIN_VERSION/);
    expect(() => loadConfig({ ALLOW_PLAIN_HTTP: 'maybe' })).toThrow(/ALLOW_PLAIN_HTTP/);
  });
});
