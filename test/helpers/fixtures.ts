import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ProvisionAnswer, ProvisionResponse, UseAnswer } from '../../src/contract/answers';
import { provisionRequest } from '../../src/contract/provision';
import { redemptionRequest } from '../../src/contract/voucher-use';

// Copied from the contract's examples (shared/contract/examples) so the repository stands alone.
const examples = new URL('../fixtures/contract/', import.meta.url);
const exampleProvision = JSON.parse(readFileSync(new URL('ProvisionRequest.json', examples), 'utf8'));

export type Json = Record<string, unknown>;

/** The contract's example ProvisionRequest with a fresh id, and any overrides applied on top. */
export function makeProvisionRequest(overrides: Json = {}): Json {
  return { ...structuredClone(exampleProvision), id: randomUUID(), ...overrides };
}

const exampleAdvice = JSON.parse(readFileSync(new URL('TenderAdvice.json', examples), 'utf8'));
const exampleReversal = JSON.parse(readFileSync(new URL('BasicReversal.json', examples), 'utf8'));

/** A confirmation (the example TenderAdvice) of `requestId`, with a fresh id. */
export function makeAdvice(requestId: string, overrides: Json = {}): Json {
  return { ...structuredClone(exampleAdvice), id: randomUUID(), requestId, ...overrides };
}

/** A reversal (the example BasicReversal) of `requestId`, with a fresh id. */
export function makeReversal(requestId: string, overrides: Json = {}): Json {
  return { ...structuredClone(exampleReversal), id: randomUUID(), requestId, ...overrides };
}

export const demoChannel = { clientId: '22222222', password: 'password' };

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

const exampleRedemption = JSON.parse(readFileSync(new URL('RedemptionRequest.json', examples), 'utf8'));
const exampleRefund = JSON.parse(readFileSync(new URL('RefundRequest.json', examples), 'utf8'));
const exampleBasicAdvice = JSON.parse(readFileSync(new URL('BasicAdvice.json', examples), 'utf8'));

/** The contract's example RedemptionRequest for the voucher `code`, with a fresh id. */
export function makeRedemptionRequest(code: string, overrides: Json = {}): Json {
  const example = structuredClone(exampleRedemption);
  return { ...example, id: randomUUID(), voucher: { ...example.voucher, code }, ...overrides };
}

/** The contract's example RefundRequest for the voucher `code`, with a fresh id. */
export function makeRefundRequest(code: string, overrides: Json = {}): Json {
  const example = structuredClone(exampleRefund);
  return { ...example, id: randomUUID(), voucher: { ...example.voucher, code }, ...overrides };
}

/** A confirmation of a redemption or refund (the example BasicAdvice) of `requestId`, with a fresh id. */
export function makeBasicAdvice(requestId: string, overrides: Json = {}): Json {
  return { ...structuredClone(exampleBasicAdvice), id: randomUUID(), requestId, ...overrides };
}

const switchInstitution = { id: '33333333', name: 'Voucher Switch' };

/** The channel's answer to an approved provision of the example request (under message id `id`), typed by the contract. */
export function approvedProvision(voucher: ProvisionResponse['voucher'], id: string = randomUUID()): ProvisionAnswer {
  const request = provisionRequest.parse(makeProvisionRequest());
  return { status: 201, body: { ...approvedBody(request), id, voucher } };
}

/** The channel's answer to an approved redemption of the example request for `code`. */
export function approvedUse(code: string, id: string = randomUUID()): UseAnswer {
  const request = redemptionRequest.parse(makeRedemptionRequest(code));
  return { status: 201, body: { ...approvedBody(request), id } };
}

function approvedBody<R extends { thirdPartyIdentifiers: ProvisionResponse['thirdPartyIdentifiers'] }>(request: R) {
  const receiver = { id: '44444444', name: 'Provider' };
  return {
    ...request,
    settlementEntity: switchInstitution,
    receiver,
    thirdPartyIdentifiers: [
      ...request.thirdPartyIdentifiers,
      { institutionId: switchInstitution.id, transactionIdentifier: 'SW-1' },
      { institutionId: receiver.id, transactionIdentifier: 'P-1' },
    ],
  };
}

const issuedVoucher = z.looseObject({
  voucher: z.looseObject({ code: z.string().min(1), serialNumber: z.string().optional() }),
});

/** The voucher an approved provision's answer carries, read by the contract's shape: a body without one fails the test. */
export function voucherOf(body: unknown): { code: string; serialNumber?: string } {
  return issuedVoucher.parse(body).voucher;
}
