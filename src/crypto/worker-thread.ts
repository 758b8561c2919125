/**
 * Starts a worker thread running a module of the project. The project runs either as TypeScript
 * through tsx (tests, `npx passerelle`) or compiled to dist/ (`npm start`, `npm run bench`, the
 * systemd unit). Worker threads do not inherit the tsx loader of the main thread, so the thread starts
 * on worker-entry.mjs, which registers it when the module is TypeScript and then imports the module;
 * the module reads its own data from `workerData.data`.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/** The module `name` next to the module at `base`, with the same extension (.ts under tsx, .js compiled). */
export function siblingModule(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

export function startModuleWorker(module: URL, data: unknown, options: { name?: string; resourceLimits?: ResourceLimits } = {}): Worker {
  return new Worker(ENTRY, {
    workerData: { module: module.href, data },
    ...(options.name ? { name: options.name } : {}),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
}
