/**
 * Where the gateway's main thread spends its time, from the V8 CPU profile `node --cpu-prof` writes
 * (`npm run bench -- --cpu-prof DIR`): self time per function and per area (store, HTTP, broker, ...).
 * Sampled wall time of the thread: a synchronous system call (a write, an fsync) counts for the
 * function that made it, idle time is "(idle)".
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  /** Microseconds of the monotonic clock (CLOCK_MONOTONIC on Linux, as process.hrtime), when sampling started. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  sampledSeconds: number;
  areas: Array<{ area: string; percent: number }>;
  functions: Array<{ fn: string; percent: number }>;
}

const AREAS: Array<[RegExp, string]> = [
  [/better-sqlite3|\/src\/store\//, 'store (SQLite)'],
  [/openpgp|\/src\/crypto\//, 'crypto'],
  [/winston|logform|\/src\/log\//, 'logging'],
  [/express|router|body-parser|\/src\/http\/|node:_http|node:_tls|node:net|node:https/, 'HTTP and TLS'],
  [/amqplib|\/src\/broker\//, 'broker (AMQP)'],
  [/ajv|\/src\/schema\//, 'schema validation'],
  [/\/src\/domain\/|\/src\/app\/|\/src\/privacy\/|\/src\/stats\/|canonicalize/, 'checks and rules'],
];

function areaOf(url: string, fn: string): string {
  if (fn === '(idle)' || fn === '(garbage collector)' || fn === '(program)') return fn;
  for (const [pattern, area] of AREAS) if (pattern.test(url)) return area;
  return url === '' ? 'native' : 'other';
}

/** A span of the monotonic clock, in microseconds (process.hrtime.bigint() / 1000n). */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/**
 * The profile of the thread that did the most work (the main thread; workers are mostly idle or crypto),
 * over the whole run or only the samples inside `window` (a phase of the load: load.ts).
 */
export function summariseProfiles(dir: string, top = 25, window?: ProfileWindow): ProfileSummary | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  let best: ProfileSummary | undefined;
  let bestBusy = -1;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const selfTime = new Map<number, number>();
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
      selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    let total = 0;
    let idle = 0;
    const byFunction = new Map<string, number>();
    const byArea = new Map<string, number>();
    for (const [id, time] of selfTime) {
      const node = byId.get(id)!;
      const frame = node.callFrame;
      total += time;
      if (frame.functionName === '(idle)') idle += time;
      const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + time);
      // Native code (a system call, a C++ binding) belongs to the area of the JavaScript that called it.
      let area = areaOf(frame.url, frame.functionName);
      let current: ProfileNode | undefined = node;
      while ((area === 'native' || area === 'other') && current !== undefined && parent.has(current.id)) {
        current = byId.get(parent.get(current.id)!);
        if (current) area = areaOf(current.callFrame.url, current.callFrame.functionName);
      }
      byArea.set(area, (byArea.get(area) ?? 0) + time);
    }
    const busy = total - idle;
    if (busy <= bestBusy) continue;
    bestBusy = busy;
    const percent = (time: number) => Math.round((1000 * time) / total) / 10;
    best = {
      file,
      sampledSeconds: Math.round(total / 1e5) / 10,
      areas: [...byArea].sort((a, b) => b[1] - a[1]).map(([area, time]) => ({ area, percent: percent(time) })),
      functions: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, time]) => ({ fn, percent: percent(time) })),
    };
  }
  return best;
}
