/**
 * Part of `npm run build`: bundles the console's browser code (src/console/browser/<slug>.ts) into
 * dist/console/assets/, which the compiled gateway serves (src/console/bundles.ts). Run from
 * TypeScript, the gateway bundles in memory instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../src/console/bundles.js';

const outdir = path.resolve(import.meta.dirname, '..', 'dist', 'console', 'assets');
fs.rmSync(outdir, { recursive: true, force: true });
const result = await build({ ...bundleOptions(), outdir, write: true, metafile: true, logLevel: 'warning' });
const files = Object.keys(result.metafile.outputs);
console.log(`console: ${files.length} files bundled into ${path.relative(process.cwd(), outdir)}/`);
