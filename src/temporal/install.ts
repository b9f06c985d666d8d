/** `npm run setup:temporal`: installs the pinned Temporal binaries and prints where they are. */
import { dockerCompose, installTools, locate, temporalCli, temporalTestServer } from './binaries';

installTools();
for (const tool of [temporalCli, temporalTestServer, dockerCompose]) {
  console.log(`${tool.command}: ${locate(tool) ?? 'missing'}`);
}
