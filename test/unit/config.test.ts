import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('starts the embedded development stack with no settings at all', () => {
    const config = loadConfig({});
    expect(config.api.port).toBe(8080);
    expect(config.temporal.address).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.channels).toEqual([{ clientId: '22222222', password: 'password', messaging: 'dual' }]);
    expect(config.routing.receivers).toEqual({ '44444444': 'flash' });
    expect(config.providers.deadlineMs('flash')).toBe(10_000);
  });

  it('reads channels with their messaging and default provider, and per-provider deadlines', () => {
    const config = loadConfig({
      SWITCH_CHANNELS: 'bank:s3cret:single:ott, shop:pw',
      PROVIDER_DEADLINES: 'stellr:2500',
      PROVIDER_DEADLINE_MS: '4000',
    });
    expect(config.channels).toEqual([
      { clientId: 'bank', password: 's3cret', messaging: 'single', defaultProvider: 'ott' },
      { clientId: 'shop', password: 'pw', messaging: 'dual' },
    ]);
    expect(config.providers.deadlineMs('stellr')).toBe(2500);
    expect(config.providers.deadlineMs('ott')).toBe(4000);
  });

  it('refuses unknown providers and bad numbers, naming the setting', () => {
    expect(() => loadConfig({ SWITCH_RECEIVER_ROUTES: '1234:nobody' })).toThrow(/SWITCH_RECEIVER_ROUTES/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SWITCH_CHANNELS: 'bank' })).toThrow(/SWITCH_CHANNELS/);
  });
});
