import { fileURLToPath } from 'node:url';
import type { DataConverter, PayloadCodec } from '@temporalio/common';

/** Given to `bundleWorkflowCode` as well: a worker with a prebuilt bundle ignores its own setting. */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/**
 * How every client and worker of the switch (de)serialises payloads: through the encryption
 * codec (`createEncryptionCodec`), failures included. All of them must share it.
 */
export function switchDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}
