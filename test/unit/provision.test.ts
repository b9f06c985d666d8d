import { createHash } from 'node:crypto';
import { assert, describe, expect, it } from 'vitest';
import { isProvisionAnswer } from '../../src/contract/answers';
import { provisionRequest } from '../../src/contract/provision';
import { providerProfiles } from '../../src/domain/providers';
import { answerProvision, type ProvisionInput, phaseAfter, switchReferenceFor } from '../../src/domain/provision';
import { makeProvisionRequest } from '../helpers/fixtures';

const input = (): ProvisionInput => ({
  transactionId: 'provision-22222222-x',
  switchReference: 'SW-1',
  channelId: '22222222',
  messaging: 'dual',
  provider: 'ott',
  deadlineMs: 1000,
  settleAfterMs: 60_000,
  switchInstitution: { id: '33333333', name: 'Voucher Switch' },
  providerInstitution: providerProfiles.ott.institution,
  request: provisionRequest.parse(makeProvisionRequest({ receiver: undefined })),
  receivedAt: '2026-01-01T00:00:00.000Z',
});

const provisioned = { providerReference: 'P-1', voucher: { code: '1234567890123456' } };

describe('answerProvision', () => {
  it("appends the switch's and the provider's identifiers and names the provider as receiver", () => {
    const answer = answerProvision(input(), { ok: true, value: provisioned });
    assert(isProvisionAnswer(answer), 'approved');
    expect(answer.body.receiver).toEqual(providerProfiles.ott.institution);
    expect(answer.body.settlementEntity).toEqual({ id: '33333333', name: 'Voucher Switch' });
    expect(answer.body.thirdPartyIdentifiers.slice(2)).toEqual([
      { institutionId: '33333333', transactionIdentifier: 'SW-1' },
      { institutionId: providerProfiles.ott.institution.id, transactionIdentifier: 'P-1' },
    ]);
  });

  it.each([
    ['timeout', 504, 'GENERAL_ERROR'],
    ['error', 500, 'GENERAL_ERROR'],
    ['unavailable', 503, 'UPSTREAM_UNAVAILABLE'],
  ] as const)('answers a provider %s with %i %s', (kind, status, errorType) => {
    const given = input();
    const answer = answerProvision(given, { ok: false, failure: { kind, message: 'x' } });
    expect(answer).toMatchObject({ status, body: { errorType, id: given.request.id } });
    // The switch reverses whatever it cannot be sure of.
    expect(phaseAfter({ ok: false, failure: { kind, message: 'x' } })).toBe('REVERSED');
  });

  it("answers a decline with 404 and the provider's reason", () => {
    const result = {
      ok: false as const,
      failure: { kind: 'declined' as const, code: 'INVALID_AMOUNT', message: 'too much' },
    };
    expect(answerProvision(input(), result)).toMatchObject({
      status: 404,
      body: { errorType: 'INVALID_AMOUNT', providerErrorCode: 'INVALID_AMOUNT', providerErrorMsg: 'too much' },
    });
    expect(phaseAfter(result)).toBe('DECLINED');
  });
});

describe('answerProvision for a decline', () => {
  it.each(['VOUCHER_ALREADY_REDEEMED', 'DO_NOT_HONOR', 'FUNCTION_NOT_SUPPORTED'])(
    'answers every hard decline with 404, %s included',
    (code) => {
      const answer = answerProvision(input(), { ok: false, failure: { kind: 'declined', code, message: 'no' } });
      expect(answer).toMatchObject({ status: 404, body: { errorType: code, providerErrorCode: code } });
    },
  );

  it.each(['AUTHENTICATION_ERROR', 'FORMAT_ERROR', 'DUPLICATE_RECORD', 'UNABLE_TO_LOCATE_RECORD', 'ROUTING_ERROR'])(
    "never passes the provider's %s on as if the channel were at fault",
    (code) => {
      const given = input();
      const answer = answerProvision(given, {
        ok: false,
        failure: { kind: 'declined', code, message: 'bad switch credentials' },
      });
      expect(answer).toEqual({
        status: 404,
        body: { id: given.request.id, errorType: 'GENERAL_ERROR', errorMessage: expect.any(String) },
      });
    },
  );
});

describe('switchReferenceFor', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('gives every submission of one transaction the same UUID-shaped reference, and other transactions others', () => {
    const first = switchReferenceFor('provision-22222222-a', sha256);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(switchReferenceFor('provision-22222222-a', sha256)).toBe(first);
    expect(switchReferenceFor('provision-22222222-b', sha256)).not.toBe(first);
    expect(switchReferenceFor('redemption-22222222-a', sha256)).not.toBe(first);
  });
});
