// Entry of every worker thread of the project. The code is TypeScript run without a build step (tsx):
// a worker thread does not inherit the loader the main thread registered (bin/passerelle.js), so it
// registers it again before importing its module. See src/crypto/worker-thread.ts.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
