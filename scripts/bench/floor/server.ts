/**
 * The floor's HTTP server (plain `node:http`): POST /provisions with `{ reference, channelMessageId }`
 * provisions through the floor workflow and answers with the simulator's status and body.
 *
 * FLOOR_SHAPE=update-with-start (the `floor`): one update-with-start per request, the worker in
 * its own process. FLOOR_SHAPE=eager (the `floor-eager`): an eager start, then the update; the
 * worker runs in this process and the client shares its NativeConnection, the only way the
 * TypeScript client starts workflows eagerly (the server refuses eager execution inside
 * update-with-start).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { FloorAnswer, FloorOrder } from './activities';
import { floorEnvironment, quietRuntime, startFloorWorker } from './worker';
import { floorProvision, provide } from './workflow';

const env = floorEnvironment();
const port = Number(process.env.PORT);
const eager = process.env.FLOOR_SHAPE === 'eager';
const { namespace, taskQueue } = env;

let client: Client;
let closeTemporal: () => Promise<void>;
if (eager) {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: env.address });
  const worker = await startFloorWorker(connection, env);
  client = new Client({ connection, namespace });
  closeTemporal = async () => {
    await worker.stop();
    await connection.close();
  };
} else {
  const connection = await Connection.connect({ address: env.address });
  client = new Client({ connection, namespace });
  closeTemporal = () => connection.close();
}

/** How many starts the server ran eagerly, and how many went through matching after all. */
const starts = { eager: 0, notEager: 0 };

const provisionOnce: (order: FloorOrder) => Promise<FloorAnswer> = eager
  ? async (order) => {
      const handle = await client.workflow.start(floorProvision, {
        workflowId: order.reference,
        taskQueue,
        requestEagerStart: true,
      });
      if (handle.eagerlyStarted) starts.eager += 1;
      else starts.notEager += 1;
      return handle.executeUpdate(provide, { args: [order], updateId: order.channelMessageId });
    }
  : (order) =>
      client.workflow.executeUpdateWithStart(provide, {
        args: [order],
        updateId: order.channelMessageId,
        startWorkflowOperation: new WithStartWorkflowOperation(floorProvision, {
          workflowId: order.reference,
          taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });

/** Ready once a worker polls the floor's task queue (its workflow bundle built). */
let ready = false;
async function isReady(): Promise<boolean> {
  if (!ready) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    ready = pollers.length > 0;
  }
  return ready;
}

function reply(response: ServerResponse, status: number, body: string) {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  if (request.method === 'POST' && request.url === '/provisions') {
    const order = JSON.parse(await readBody(request)) as FloorOrder;
    const answer = await provisionOnce({ reference: order.reference, channelMessageId: order.channelMessageId });
    return reply(response, answer.status, answer.body);
  }
  if (request.method === 'GET' && request.url === '/health') {
    return (await isReady()) ? reply(response, 200, '{"status":"ok"}') : reply(response, 503, '{"status":"starting"}');
  }
  if (request.method === 'GET' && request.url === '/stats') return reply(response, 200, JSON.stringify({ starts }));
  reply(response, 404, '{"code":"NOT_FOUND"}');
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: Error) => {
    const message = error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
    if (!response.headersSent) reply(response, 502, JSON.stringify({ code: 'FLOOR_FAILED', message }));
    else response.destroy(error);
  });
});
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
    await closeTemporal();
    process.exit(0);
  });
}
