import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessDayOf, lastClosedDay } from '../../src/domain/settlement';
import { chromium as debianChromium } from '../helpers/debian-tools';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  makeAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

// Debian's Chromium, which `npm run setup:tools` installs (CHROMIUM_PATH names another).
const chromiumPath = debianChromium.path;
const hasChromium = existsSync(chromiumPath);
const title = hasChromium
  ? 'GET /console in Chromium'
  : `GET /console in Chromium: skipped, no Chromium at ${chromiumPath} (npm run setup:tools installs it)`;

const operator = { username: 'operator', password: 'operator' };
const viewport = { width: 1280, height: 900 };

/** A PNG's width and height, from its IHDR chunk (bytes 16–23, after the 8-byte signature). */
function pngSize(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe.skipIf(!hasChromium)(title, () => {
  let sw: TestSwitch;
  let browser: Browser;
  let confirmed: { id: string; code: string };
  let reversedId: string;

  beforeAll(async () => {
    sw = await startTestSwitch();
    const request = makeProvisionRequest();
    const provision = await sw.post('/suv/v1/vouchers', request);
    expect(provision.status).toBe(201);
    confirmed = { id: request.id as string, code: voucherOf(provision.body).code };
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(confirmed.id))).status).toBe(202);

    const other = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers', other)).status).toBe(201);
    reversedId = other.id as string;
    expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(reversedId))).status).toBe(202);

    // Both in the copy, their advices delivered, before the page looks.
    const auth = basicAuth(operator.username, operator.password);
    await eventually(async () => {
      const details = await Promise.all(
        [confirmed.id, reversedId].map((id) => sw.get(`/ops/transactions/${id}`, auth)),
      );
      const delivered = details.every(
        ({ status, body }) =>
          status === 200 && (body.advices as { saf: string }[]).some((advice) => advice.saf === 'delivered'),
      );
      return delivered || undefined;
    }, 30_000);

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await sw?.stop();
  });

  /** A page logged in as the operator, and the errors it reports (none are expected). */
  async function operatorPage() {
    const context = await browser.newContext({ httpCredentials: operator, viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    return { context, page, problems };
  }

  it('is behind the operator login', async () => {
    const context = await browser.newContext();
    const response = await context.request.get(`${sw.url}/console`);
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toMatch(/^Basic realm=/);
    await context.close();
  });

  it('finds a transaction by its message id and shows its legs and advices', async () => {
    const { context, page, problems } = await operatorPage();

    await page.goto(`${sw.url}/console`);
    // The list opens with every transaction, newest first, and the backlog is empty.
    await page.getByRole('button', { name: reversedId }).waitFor();
    await page.getByRole('button', { name: confirmed.id }).waitFor();
    expect(await page.locator('#backlog').innerText()).toContain('No advice is waiting for a provider.');

    await page.getByRole('searchbox', { name: 'Reference' }).fill(confirmed.id);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').getByText('1 shown, newest first.').waitFor();
    const row = await page.locator('#transactions tbody tr').innerText();
    expect(row).toContain('provision');
    expect(row).toContain('flash');
    expect(row).toContain('CONFIRMED');

    await page.getByRole('button', { name: confirmed.id }).click();
    const detail = page.locator('#detail');
    await detail.getByRole('heading', { name: 'Advices' }).waitFor();
    const legs = await detail.locator('article.leg').allInnerTexts();
    expect(legs.map((text) => text.split('\n')[0])).toEqual([
      'channel ↔ switch · provision',
      'switch ↔ provider · provision',
      'switch ↔ provider · confirm',
    ]);
    expect(legs[0]).toMatch(/POST \/suv\/v1\/vouchers → 201/);
    expect(legs[0]).toContain(`"id": "${confirmed.id}"`);
    const advice = await detail.locator('table tbody tr').innerText();
    expect(advice.split('\t').slice(0, 5)).toEqual(['confirm', 'channel', '', 'delivered', '1']);
    const facts = await detail.locator('dl').innerText();
    expect(facts).toMatch(/Transaction id\s+provision-22222222-/);
    expect(facts).toMatch(/Answer\s+201/);
    expect(await page.content()).not.toContain(confirmed.code);
    expect(await page.locator('body').innerText()).not.toContain('[object');

    // The whole page: the backlog, the list and the transaction.
    const png = await page.screenshot({ fullPage: true });
    const file = join(mkdtempSync(join(tmpdir(), 'console-')), 'transaction.png');
    writeFileSync(file, png);
    const size = pngSize(png);
    expect(size.width).toBe(viewport.width);
    expect(size.height).toBeGreaterThanOrEqual(viewport.height);
    // A blank page compresses to a few hundred bytes; text, tables and colour take far more.
    expect(png.length).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows the open business day as it stands, produces a closed day's report, and offers it as CSV", async () => {
    const { context, page, problems } = await operatorPage();
    const settings = sw.config.settlement.businessDay;
    const openDay = businessDayOf(new Date(), settings);
    const closedDay = lastClosedDay(new Date(), settings);

    await page.goto(`${sw.url}/console`);
    const panel = page.getByRole('region', { name: 'Settlement' });
    await panel.locator('#reports > *').first().waitFor();
    expect(await panel.getByRole('textbox', { name: 'Business day' }).inputValue()).toBe(closedDay);

    // Today, open: the confirmed provision and the reversed one, as they stand.
    await panel.getByRole('textbox', { name: 'Business day' }).fill(openDay);
    await panel.getByRole('button', { name: 'Show' }).click();
    await panel.getByRole('heading', { name: `Business day ${openDay} OPEN CSV` }).waitFor();
    const lines = await panel.locator('#report table').first().locator('tbody tr').allInnerTexts();
    expect(lines.map((line) => line.split('\t').slice(0, 5))).toEqual([
      ['flash', '22222222', 'provision', 'CONFIRMED', '1'],
      ['flash', '22222222', 'provision', 'REVERSED', '1'],
    ]);

    // Yesterday, closed: produced here, then listed among the stored reports.
    await panel.getByRole('textbox', { name: 'Business day' }).fill(closedDay);
    await panel.getByRole('button', { name: 'Produce report' }).click();
    await panel.getByRole('heading', { name: `Business day ${closedDay} FINAL CSV` }).waitFor();
    await panel.locator('#reports').getByRole('button', { name: closedDay }).waitFor();
    const csvLink = panel.getByRole('link', { name: 'CSV' });
    expect(await csvLink.getAttribute('href')).toBe(`/ops/reports/${closedDay}?format=csv`);
    const csv = await context.request.get(`${sw.url}/ops/reports/${closedDay}?format=csv`);
    expect(await csv.text()).toBe('business_day,provider,channel,currency,type,state,count,amount,fee\r\n');

    await panel.getByRole('textbox', { name: 'Business day' }).fill(openDay);
    await panel.getByRole('button', { name: 'Show' }).click();
    await panel.getByRole('heading', { name: `Business day ${openDay} OPEN CSV` }).waitFor();
    const png = await page.screenshot({ fullPage: true });
    const file = join(mkdtempSync(join(tmpdir(), 'console-')), 'settlement.png');
    writeFileSync(file, png);
    console.log(`settlement panel: ${file}`);
    expect(png.length).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reconciles an uploaded provider file, lists its exceptions with both sides, and resolves one with a reason', async () => {
    const { context, page, problems } = await operatorPage();
    const exported = await (await fetch(`${sw.simulator.url}/sim/ledger/export?provider=flash`)).text();
    // The provider's own file, with a line the switch never sent.
    const file = `${exported}unknown-at-the-switch,P-9,provision,1000,CONFIRMED,2026-11-30T10:00:00.000Z\r\n`;
    const day = businessDayOf(new Date(), sw.config.settlement.businessDay);

    await page.goto(`${sw.url}/console`);
    const panel = page.getByRole('region', { name: 'Reconciliation' });
    await panel.getByText('No provider file has been reconciled yet.').waitFor();
    await panel.getByRole('combobox', { name: 'Provider' }).selectOption('flash');
    await panel.getByLabel('Business day of the file').fill(day);
    await panel
      .getByLabel('Provider file')
      .setInputFiles({ name: 'flash.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await panel.getByRole('button', { name: 'Reconcile' }).click();

    await panel.getByRole('heading', { name: `flash · business day ${day}` }).waitFor();
    expect(await panel.locator('#reconciliation p.note').innerText()).toMatch(
      /^3 lines, uploaded by operator at .*: 2 matched · 0 amount differs · 0 state differs · 1 only at the provider · 0 only at the switch$/,
    );
    const exception = panel.locator('#reconciliation tbody tr');
    expect((await exception.innerText()).split('\t').slice(0, 4)).toEqual([
      'only at the provider',
      'unknown-at-the-switch',
      'provision · 10.00 · CONFIRMED',
      '—',
    ]);
    await exception
      .getByRole('textbox', { name: 'Reason for unknown-at-the-switch' })
      .fill('A test line of the provider; it has withdrawn it.');
    await exception.getByRole('button', { name: 'Resolve' }).click();
    await exception.getByText(/^A test line of the provider; it has withdrawn it\. \(operator, /).waitFor();
    await panel.locator('#reconciliations tbody tr').first().waitFor();

    const png = await page.screenshot({ fullPage: true });
    const shot = join(mkdtempSync(join(tmpdir(), 'console-')), 'reconciliation.png');
    writeFileSync(shot, png);
    console.log(`reconciliation panel: ${shot}`);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("blocks a voucher from its transaction's page and shows the action in the audit trail", async () => {
    const { context, page, problems } = await operatorPage();
    await page.goto(`${sw.url}/console`);
    await page.getByRole('button', { name: confirmed.id }).click();
    const detail = page.locator('#detail');
    await detail.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await detail.getByText('No operator action yet.').waitFor();

    await detail.getByRole('combobox', { name: 'Action' }).selectOption({ label: 'Block the voucher' });
    await detail.getByRole('textbox', { name: 'Reason' }).fill('The customer reports it stolen.');
    await detail.getByRole('button', { name: 'Act' }).click();
    await detail.getByRole('status').getByText('Block the voucher: The voucher is blocked.').waitFor();
    const trail = await detail.locator('table').last().locator('tbody tr').allInnerTexts();
    expect(trail.map((row) => row.split('\t').slice(1, 5))).toEqual([
      ['operator', 'Block the voucher', 'done', ''],
      ['operator', 'Block the voucher', 'started', 'The customer reports it stolen.'],
    ]);
    expect(trail[0]).toContain('The voucher is blocked.');
    // The channel sees it: the voucher can no longer be redeemed.
    const redemption = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(confirmed.code));
    expect(redemption.body).toMatchObject({ errorType: 'VOUCHER_NOT_REDEEMABLE' });
    // Nothing awaits approval: four eyes are off, and blocking moves no money anyway.
    expect(await page.locator('#approvals').innerText()).toContain('Nothing awaits approval.');

    const png = await page.screenshot({ fullPage: true });
    const shot = join(mkdtempSync(join(tmpdir(), 'console-')), 'back-office.png');
    writeFileSync(shot, png);
    console.log(`back office: ${shot}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
