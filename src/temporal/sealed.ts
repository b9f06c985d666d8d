import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

/**
 * Values kept outside Temporal that must stay as secret as its payloads (a transaction's final
 * state names its voucher code): encrypted with the payload codec, under its keys and their
 * rotation, as one base64 text.
 */
export interface Sealer {
  seal(value: unknown): Promise<string>;
  unseal<T>(sealed: string): Promise<T>;
}

export function createSealer(codec: PayloadCodec): Sealer {
  return {
    async seal(value) {
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
      return Buffer.from(ProtoPayload.encode(encrypted as proto.temporal.api.common.v1.IPayload).finish()).toString(
        'base64',
      );
    },
    async unseal<T>(sealed: string) {
      const [clear] = await codec.decode([ProtoPayload.decode(Buffer.from(sealed, 'base64'))]);
      return defaultPayloadConverter.fromPayload<T>(clear as proto.temporal.api.common.v1.IPayload);
    },
  };
}
