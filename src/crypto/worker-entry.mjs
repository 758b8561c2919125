// Entry of every worker thread of the project. A worker thread does not inherit the loader the main
// thread registered (bin/passerelle.js), so a TypeScript module gets tsx registered again before it is
// imported; a compiled one (dist/) is imported as it is, without loading tsx at all.
// See src/crypto/worker-thread.ts.
import { workerData } from 'node:worker_threads';

if (workerData.module.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.module);
