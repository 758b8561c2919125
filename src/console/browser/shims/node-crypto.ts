/**
 * What the gateway's pure code (src/audit) takes from node:crypto, for the browser bundles: esbuild
 * aliases `node:crypto` to this module (src/console/bundles.ts). Only SHA-256 hashing: anything else
 * fails loudly at bundling, not silently in a browser.
 */
import { Buffer } from 'buffer';
import { Sha256 } from './sha256.js';

type Input = string | Uint8Array;

class Hash {
  private readonly sha = new Sha256();

  update(data: Input, encoding?: BufferEncoding): this {
    this.sha.update(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data);
    return this;
  }

  digest(): Buffer;
  digest(encoding: BufferEncoding): string;
  digest(encoding?: BufferEncoding): Buffer | string {
    const bytes = Buffer.from(this.sha.digest());
    return encoding === undefined ? bytes : bytes.toString(encoding);
  }
}

export function createHash(algorithm: string): Hash {
  if (algorithm.toLowerCase() !== 'sha256') throw new Error(`console bundle: hash ${algorithm} is not available in the browser (only sha256)`);
  return new Hash();
}

export default { createHash };
