import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { voucherLookupKeys, voucherLookupQuery, voucherLookupResponse } from '../../contract/voucher-use';
import { SwitchError } from '../../domain/errors';
import { workflowIdFor } from '../../domain/provision';
import {
  holderView,
  type VoucherDetails,
  type VoucherLookupState,
  voucherLookupAnswer,
  voucherWorkflowId,
} from '../../domain/voucher';
import type { ChannelConfig } from '../auth';
import type { AppEnv } from '../deps';
import { errorResponse, json, respond } from './parts';

type LookupQuery = z.infer<typeof voucherLookupQuery>;

/** The query rule the document states beside its parameters (see `withOneOfQuery`). */
export const lookupVoucherQuery = { path: '/suv/v1/vouchers', method: 'get', oneOf: voucherLookupKeys } as const;

const lookupVoucherRoute = createRoute({
  method: 'get',
  path: '/suv/v1/vouchers',
  operationId: 'lookupVoucher',
  summary: 'Look up a voucher by its code, its provision request id or its serial number',
  security: [{ basicAuth: [] }],
  request: { query: voucherLookupQuery },
  responses: {
    200: {
      description: 'The voucher, its product and amounts, and where it is in its life',
      ...json(voucherLookupResponse),
    },
    400: errorResponse(
      'FORMAT_ERROR: none of voucherCode, provisionRequestId, voucherSerialNumber, or a malformed one',
    ),
    401: errorResponse('AUTHENTICATION_ERROR'),
    404: errorResponse('UNABLE_TO_LOCATE_RECORD: no such voucher'),
    504: errorResponse('GENERAL_ERROR: the switch did not get an answer in time; nothing was changed'),
  },
});

interface Found {
  details: VoucherDetails;
  state: VoucherLookupState;
  /** The channel that provisioned the voucher, when known. */
  provisionedBy?: string;
}

/** A confirmed voucher, from its own workflow. */
async function byKey(c: Context<AppEnv>, voucherKey: string | undefined): Promise<Found | undefined> {
  if (voucherKey === undefined) return undefined;
  const voucher = await c.get('deps').vouchers.find(voucherWorkflowId(voucherKey));
  return voucher && { details: voucher, state: voucher.state, provisionedBy: voucher.provision.channelId };
}

/**
 * Any voucher the channel provisioned: its own workflow once it has one (confirmed, or under
 * single messaging from the 201 on), its provision before that.
 */
async function byProvision(c: Context<AppEnv>, channel: ChannelConfig, requestId: string): Promise<Found | undefined> {
  const deps = c.get('deps');
  const provision = await deps.provisions.snapshot(workflowIdFor(channel.clientId, requestId));
  if (provision?.answer?.status !== 201) return undefined;
  const details = provision.answer.body as unknown as VoucherDetails;
  if (provision.phase === 'CONFIRMED' || provision.phase === 'APPROVED') {
    const usable = await byKey(c, deps.voucherKey(details.voucher.code));
    if (usable) return usable;
  }
  return { details, state: provision.phase === 'REVERSED' ? 'REVERSED' : 'PROVISIONED' };
}

/**
 * By code: anyone who holds the code may see its voucher. By provision request id or serial
 * number: only the channel that provisioned it.
 */
async function findVoucher(c: Context<AppEnv>, channel: ChannelConfig, query: LookupQuery) {
  const deps = c.get('deps');
  if (query.voucherCode !== undefined) {
    const found = await byKey(c, deps.voucherKey(query.voucherCode));
    // A holder of the code who is not the provisioning channel sees the voucher, not that channel's identifiers.
    return found && found.provisionedBy !== channel.clientId ? { ...found, details: holderView(found.details) } : found;
  }
  if (query.provisionRequestId !== undefined) return byProvision(c, channel, query.provisionRequestId);
  if (query.voucherSerialNumber !== undefined) {
    return byKey(c, await deps.voucherKeyBySerial(channel.clientId, query.voucherSerialNumber));
  }
  return undefined;
}

export function registerVoucherLookupRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(lookupVoucherRoute, async (c) => {
    const query = c.req.valid('query');
    const channel = c.get('channel');
    if (!channel) throw new SwitchError('unauthenticated', 'Missing or invalid credentials.');
    const found = await findVoucher(c, channel, query);
    // The receiver and settlement entity, when given, narrow the search like the code does.
    const matches =
      found &&
      (query.receiverInstId === undefined || found.details.receiver?.id === query.receiverInstId) &&
      (query.settlementEntityInstId === undefined ||
        found.details.settlementEntity?.id === query.settlementEntityInstId);
    if (!found || !matches) throw new SwitchError('unknownRecord', 'No such voucher.');
    return respond(c, voucherLookupAnswer(found.details, found.state));
  });
}
