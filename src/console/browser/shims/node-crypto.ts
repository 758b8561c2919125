/**
 * What the gateway's code takes from node:crypto, for the browser bundles: esbuild aliases
 * `node:crypto` to this module (src/console/bundles.ts). SHA-256 hashing and constant-time comparison
 * work; decryption, which src/audit reaches only through module imports (crypto/service.ts) and never
 * calls in a browser, throws if ever called. Any other import fails at bundling, not in a browser.
 */
import { Buffer } from 'buffer';
// Synchronous, as node:crypto and the audit code are (WebCrypto's digest is asynchronous).
import { sha256 } from '@noble/hashes/sha2';

type Input = string | Uint8Array;

class Hash {
  private readonly sha = sha256.create();

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

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length');
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export function createDecipheriv(): never {
  throw new Error('console bundle: decryption is not available in the browser');
}

/**
 * The gateway's own signing and session-key wrapping with node's keys (src/crypto/fast-signature.ts,
 * session-key-wrap.ts, session-key-unwrap.ts), reached through module imports only: never in a browser.
 */
function unavailable(name: string): () => never {
  return () => {
    throw new Error(`console bundle: ${name} is not available in the browser`);
  };
}

export const createCipheriv = unavailable('createCipheriv');
export const createPrivateKey = unavailable('createPrivateKey');
export const createPublicKey = unavailable('createPublicKey');
export const diffieHellman = unavailable('diffieHellman');
export const generateKeyPairSync = unavailable('generateKeyPairSync');
export const randomBytes = unavailable('randomBytes');
export const sign = unavailable('sign');

export default { createHash, timingSafeEqual, createDecipheriv, createCipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, sign };
