import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/http-server';
import { ProductCatalogue } from '../../src/providers/catalogue';
import { createProviderRegistry } from '../../src/providers/registry';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';

let simulator: RunningServer;
let sim: ReturnType<typeof createSimulatorApp>;

beforeAll(async () => {
  sim = createSimulatorApp();
  simulator = await listen(sim.app, 0);
});
afterAll(() => simulator?.close());
beforeEach(() => sim.behaviours.clear());

function catalogue(clock: { now: number }) {
  return new ProductCatalogue({
    providers: createProviderRegistry({ baseUrl: simulator.url }),
    ttlMs: 60_000,
    deadlineMs: () => 1_000,
    now: () => clock.now,
  });
}

const lookups = (provider: string) => sim.ledger.filter((e) => e.provider === provider && e.operation === 'lookup');

describe('ProductCatalogue', () => {
  it("lists every provider's products, each with its provider", async () => {
    const products = await catalogue({ now: 0 }).products();
    expect(new Set(products.map((p) => p.provider)).size).toBe(10);
    expect(products.find((p) => p.productId === 'flash-1voucher')).toMatchObject({
      provider: 'flash',
      voucherProvider: '1Voucher',
    });
  });

  it('asks the providers again only after the expiry', async () => {
    const clock = { now: 0 };
    const products = catalogue(clock);
    const before = lookups('ott').length;
    await products.products();
    await products.products();
    expect(lookups('ott').length).toBe(before + 1);

    clock.now = 61_000;
    await products.products();
    // The refresh runs in the background.
    await eventually(async () => lookups('ott').length > before + 1 || undefined);
    expect(lookups('ott').length).toBe(before + 2);
  });

  it('serves the last good list of a provider that is down', async () => {
    const clock = { now: 0 };
    const products = catalogue(clock);
    await products.products();
    sim.behaviours.add({ provider: 'yoyo', operation: 'lookup', mode: 'down' });

    clock.now = 120_000;
    await products.products();
    await eventually(async () => lookups('yoyo').at(-1)?.outcome === 'down' || undefined);
    expect(await products.findProduct('yoyo-spotify-60')).toMatchObject({ provider: 'yoyo' });
  });

  it('still serves the other providers when one has never answered', async () => {
    sim.behaviours.add({ provider: 'betway', operation: 'lookup', mode: 'error' });
    const products = await catalogue({ now: 0 }).products();
    expect(products.some((p) => p.provider === 'betway')).toBe(false);
    expect(products.some((p) => p.provider === 'flash')).toBe(true);
  });
});
