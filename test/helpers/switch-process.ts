import { fileURLToPath } from 'node:url';
import { startNode } from '../../scripts/bench/processes';

const entry = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/**
 * Starts `src/<path>` (the worker, the API) as a process of its own, as production runs it;
 * `started` resolves once `ready` appears in its output, `saw(text)` once `text` does.
 */
export function startSwitchProcess(name: string, path: string, env: Record<string, string>, ready: string) {
  const child = startNode(name, entry(path), env);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => {
      if (child.output.join('').includes(ready)) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`${name} exited with ${code}: ${child.output.join('')}`)));
  });
  const saw = (text: string) =>
    new Promise<void>((resolve) => {
      const look = () => child.output.join('').includes(text) && resolve();
      child.stdout?.on('data', look);
      look();
    });
  return { child, exited, started, saw };
}
