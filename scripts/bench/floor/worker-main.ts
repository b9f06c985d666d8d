/** The floor's worker process (the `floor` shape: HTTP server and worker apart, as the switch's API and worker). */
import { NativeConnection } from '@temporalio/worker';
import { floorEnvironment, quietRuntime, startFloorWorker } from './worker';

const env = floorEnvironment();
quietRuntime();
const connection = await NativeConnection.connect({ address: env.address });
const worker = await startFloorWorker(connection, env);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    await connection.close();
    process.exit(0);
  });
}
