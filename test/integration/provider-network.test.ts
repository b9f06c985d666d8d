import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { providerProfiles } from '../../src/domain/providers';
import { HttpVoucherProvider } from '../../src/providers/http-provider';

/*
 * What the switch makes of a provider that misbehaves on the wire, on real sockets: the failure's
 * kind decides between waiting for a reversal and retrying, and its message is what operators
 * read as an advice's last error.
 */

const order = { reference: 'switch-ref-1', channelMessageId: 'message-1' };
const servers: Server[] = [];

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const flash = (baseUrl: string) => new HttpVoucherProvider(providerProfiles.flash, baseUrl);

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('a provider on the wire', () => {
  it('names a refused connection by its code, as unavailable', async () => {
    const closed = await serve(() => {});
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const answer = await flash(closed).provision(order, { deadlineMs: 2_000 });
    expect(answer).toMatchObject({ ok: false, failure: { kind: 'unavailable', message: 'ECONNREFUSED' } });
  });

  it('times out when the deadline passes before the answer, and while its body is still coming', async () => {
    const slowHeaders = await serve((_request, response) => {
      setTimeout(() => response.end('{}'), 1_000);
    });
    expect(await flash(slowHeaders).provision(order, { deadlineMs: 100 })).toMatchObject({
      ok: false,
      failure: { kind: 'timeout', message: 'no answer within 100 ms' },
    });

    const slowBody = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"providerReference":');
      setTimeout(() => response.end('"p-1"}'), 1_000);
    });
    expect(await flash(slowBody).provision(order, { deadlineMs: 300 })).toMatchObject({
      ok: false,
      failure: { kind: 'timeout' },
    });
  });

  it('takes a connection the provider drops without an answer as unavailable', async () => {
    const dropping = await serve((request) => request.socket.destroy());
    expect(await flash(dropping).provision(order, { deadlineMs: 2_000 })).toMatchObject({
      ok: false,
      failure: { kind: 'unavailable', message: 'UND_ERR_SOCKET' },
    });
  });

  it('never follows a redirect: the order goes nowhere else, and the outcome stays open', async () => {
    let reachedElsewhere = false;
    const elsewhere = await serve((_request, response) => {
      reachedElsewhere = true;
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ providerReference: 'p-9', voucher: { code: '999' } }));
    });
    const redirecting = await serve((_request, response) => {
      response.writeHead(307, { location: `${elsewhere}/providers/flash/vouchers` });
      response.end();
    });
    expect(await flash(redirecting).provision(order, { deadlineMs: 2_000 })).toMatchObject({
      ok: false,
      failure: { kind: 'error', status: 307 },
    });
    expect(reachedElsewhere).toBe(false);
  });

  it('sends the order as JSON and reads an approval, with the exchange traced', async () => {
    let received: unknown;
    const approving = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received = { contentType: request.headers['content-type'], path: request.url, order: JSON.parse(body) };
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ providerReference: 'p-1', voucher: { code: '1234567890' } }));
      });
    });
    const answer = await flash(approving).provision(order, { deadlineMs: 2_000 });
    expect(received).toEqual({ contentType: 'application/json', path: '/providers/flash/vouchers', order });
    expect(answer).toMatchObject({
      ok: true,
      value: { providerReference: 'p-1', voucher: { code: '1234567890' } },
      trace: { method: 'POST', status: 201, request: order },
    });
  });
});
