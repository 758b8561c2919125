/**
 * The `Buffer` global of Node.js, for the gateway's pure code bundled for the browser: esbuild injects
 * this module wherever `Buffer` is used without an import (src/console/bundles.ts).
 */
export { Buffer } from 'buffer';
