/**
 * The browser bundles of the console's pages: `src/console/browser/<slug>.ts` → `<slug>.js` (and
 * `<slug>.css` when the page imports a stylesheet), ES modules with shared chunks. The compiled gateway
 * serves the files `npm run build` wrote to dist/console/assets (scripts/build-console.ts); run from
 * TypeScript (tests, tsx), it bundles once in memory on first use and keeps the result.
 *
 * The pages may import the gateway's pure code (src/audit, src/domain), written for Node.js: esbuild
 * gets `node:crypto` as a synchronous SHA-256 (browser/shims/node-crypto.ts), `node:zlib` as a stub
 * that throws (src/crypto is reached through imports, its decompression never called), `Buffer` from
 * the `buffer` package, and openpgp's browser build.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { GatewayError } from '../domain/errors.js';
import { CONSOLE_PAGES, SIGN_IN_SLUG } from './pages.js';

export interface Bundle {
  contentType: string;
  body: Buffer;
}

/** The browser code's folder (in src/ only: the compiled tree has none, it has the built assets). */
const BROWSER_DIR = path.join(import.meta.dirname, 'browser');
const PREBUILT_DIR = path.join(import.meta.dirname, 'assets');

/** The entries: every page of the registry (and the sign-in page) that has a browser module, by slug. */
export function entryPoints(browserDir: string = BROWSER_DIR): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const { slug, entry } of [...CONSOLE_PAGES, { slug: SIGN_IN_SLUG, entry: undefined }]) {
    const file = path.join(browserDir, `${entry ?? slug}.ts`);
    if (fs.existsSync(file)) entries[slug] = file;
  }
  // The stylesheet every page links (shell.ts), bundled beside the pages.
  const stylesheet = path.join(browserDir, 'console.css');
  if (fs.existsSync(stylesheet)) entries['console'] = stylesheet;
  return entries;
}

/** esbuild's options, shared by the in-memory build and scripts/build-console.ts. */
export function bundleOptions(browserDir: string = BROWSER_DIR): BuildOptions {
  const require = createRequire(import.meta.url);
  const shims = path.join(browserDir, 'shims');
  return {
    entryPoints: entryPoints(browserDir),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'linked',
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    outdir: 'assets',
    logLevel: 'silent',
    alias: {
      'node:crypto': path.join(shims, 'node-crypto.ts'),
      crypto: path.join(shims, 'node-crypto.ts'),
      'node:buffer': require.resolve('buffer/'),
      'node:zlib': path.join(shims, 'node-zlib.ts'),
      // openpgp's package exports name it for the "browser" condition as well; said once here.
      openpgp: path.join(path.dirname(require.resolve('openpgp')), '..', 'openpgp.min.mjs'),
    },
    inject: [path.join(shims, 'buffer.ts')],
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function contentTypeOf(name: string): string {
  return CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream';
}

async function buildInMemory(): Promise<Map<string, Bundle>> {
  let result;
  try {
    result = await build({ ...bundleOptions(), write: false, outdir: path.join(import.meta.dirname, '.bundles') });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const first = errors[0];
    throw new GatewayError('config_invalid', `The console's browser code does not bundle: ${first ? `${first.location?.file ?? ''}:${first.location?.line ?? ''} ${first.text}` : (err as Error).message}. Fix src/console/browser.`, { cause: err });
  }
  const out = new Map<string, Bundle>();
  for (const file of result.outputFiles) out.set(path.basename(file.path), { contentType: contentTypeOf(file.path), body: Buffer.from(file.contents) });
  return out;
}

function readPrebuilt(): Map<string, Bundle> {
  const out = new Map<string, Bundle>();
  for (const name of fs.readdirSync(PREBUILT_DIR)) out.set(name, { contentType: contentTypeOf(name), body: fs.readFileSync(path.join(PREBUILT_DIR, name)) });
  return out;
}

let cached: Promise<Map<string, Bundle>> | undefined;

/** Every bundle by file name, built once per process. */
export function consoleBundles(): Promise<Map<string, Bundle>> {
  cached ??= fs.existsSync(PREBUILT_DIR) ? Promise.resolve(readPrebuilt()) : buildInMemory();
  // A failed build is tried again on the next request rather than kept.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
