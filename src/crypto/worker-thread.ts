/**
 * Starts a worker thread running a TypeScript module of the project. Worker threads do not inherit the
 * tsx loader of the main thread, so the thread starts on worker-entry.mjs, which registers it and then
 * imports the module; the module reads its own data from `workerData.data`.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export function startModuleWorker(module: URL, data: unknown, options: { name?: string; resourceLimits?: ResourceLimits } = {}): Worker {
  return new Worker(ENTRY, {
    workerData: { module: module.href, data },
    ...(options.name ? { name: options.name } : {}),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
}
