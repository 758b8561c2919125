/**
 * What src/audit/checkpoint.ts takes from src/crypto/service.ts, for the browser bundles: the inline
 * detached signatures, which are src/crypto/detached.ts itself (INLINE_CRYPTO's own functions), so a
 * checkpoint is checked in the browser by the gateway's code. esbuild resolves the service to this
 * module (src/console/bundles.ts): the service also names decryption and sealing, whose Node.js-only
 * imports (node:zlib, ciphers) a browser has no use for.
 */
import { signDetached, verifyDetached } from '../../../crypto/detached.js';

export const INLINE_CRYPTO = { signDetached, verifyDetached };
