/**
 * `tsx scripts/faults/inspect.ts <temporal.db> <workflowId>`: the history of one workflow of a
 * failed run kept with FAULTS_KEEP=true, its updates decoded (which request, which switch
 * reference, which mode), so a problem the suite found can be traced event by event.
 */
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { createEncryptionCodec } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../test/helpers/ports';

const { temporal } = proto;
const [dbFile, workflowId] = process.argv.slice(2);
if (!dbFile || !workflowId) {
  console.error('usage: tsx scripts/faults/inspect.ts <temporal.db> <workflowId>');
  process.exit(2);
}
const server = await startDevServer({
  port: await freePort(),
  uiPort: await freePort(),
  namespace: 'default',
  dbFile,
  headless: true,
});
const codec = createEncryptionCodec(loadConfig({}).payloadCodec.keys);
const client = new Client({
  connection: await Connection.connect({ address: server.address }),
  dataConverter: switchDataConverter(codec),
});

async function decoded(payloads: proto.temporal.api.common.v1.IPayloads | null | undefined): Promise<unknown[]> {
  const plain = await codec.decode((payloads?.payloads ?? []) as never);
  return plain.map((p) => JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString()));
}

function describe(event: proto.temporal.api.history.v1.IHistoryEvent): Promise<string> | string {
  const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
  if (update) {
    return decoded(update.args).then(([input, mode]) => {
      const given = input as { switchReference?: string; request?: { id?: string }; id?: string };
      const reference = given.switchReference ? ` reference ${given.switchReference}` : '';
      return `${update.name} ${given.request?.id ?? given.id ?? ''}${reference}${mode ? ` (${mode})` : ''}`;
    });
  }
  const marker = event.markerRecordedEventAttributes;
  if (marker) return `${marker.markerName}${marker.failure ? `: ${marker.failure.message}` : ''}`;
  return event.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
}

try {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  for (const event of history.events ?? []) {
    const at = new Date(Number(event.eventTime?.seconds ?? 0) * 1_000 + (event.eventTime?.nanos ?? 0) / 1e6);
    console.log(
      event.eventId?.toString().padStart(4),
      at.toISOString().slice(11, 23),
      (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? '').replace('EVENT_TYPE_', ''),
      await describe(event),
    );
  }
} finally {
  await client.connection.close();
  await server.stop();
}
process.exit(0);
