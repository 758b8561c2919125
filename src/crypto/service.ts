/**
 * The crypto service: every OpenPGP operation of the gateway behind one interface, so that src/app,
 * src/http and src/audit never call openpgp (nor the functions of src/crypto that wrap it) and the
 * gateway decides in one place where the work runs.
 *
 * Two implementations with the same contract, arguments, results and GatewayErrors:
 * - {@link INLINE_CRYPTO}, on the calling thread: the CLI, the auditor's offline verifier
 *   (`passerelle audit verify`), PASSERELLE_CRYPTO_WORKERS=0 and the tests that need no pool. It loads
 *   no worker code;
 * - the worker pool (src/crypto/worker-pool.ts) that the gateway runs, one thread per core.
 */
import { signDetached, verifyDetached } from './detached.js';
import type { PrivateKey } from './keys.js';
import { openFromPartner, openSigned, readKept, type OpenedMessage, type SignedDocument } from './open.js';
import { signReceipt, type AcceptedAnswer } from './receipt.js';
import { sealForRecipient, signAndEncrypt, signInline, signJson } from './seal.js';

/**
 * Whose request a task serves, for work on input from outside: the worker pool queues it in that
 * partner's lane (src/crypto/fair-queue.ts); inline, it changes nothing.
 */
export interface ForPartner {
  /** The partner named by the client certificate. */
  partner?: string;
}

export type OpenArguments = Parameters<typeof openFromPartner>[0] & ForPartner;
export type OpenSignedArguments = Parameters<typeof openSigned>[0];
export type ReadKeptArguments = Parameters<typeof readKept>[0];
export type SealArguments = Parameters<typeof sealForRecipient>[0];
/** The gateway writes its own messages armored: the outbox keeps them as text. */
export type SignAndEncryptArguments = Omit<Parameters<typeof signAndEncrypt>[0], 'armor'>;
export type SignInlineArguments = Parameters<typeof signInline>[0];
export type SignJsonArguments = Parameters<typeof signJson>[0];
export type SignDetachedArguments = Parameters<typeof signDetached>[0];
export type VerifyDetachedArguments = Parameters<typeof verifyDetached>[0] & ForPartner;

export interface GatewayCrypto {
  /** A partner's message, steps 2 and 3 of spec section 3: decrypted with the gateway's keys, the sender's signature verified. */
  openFromPartner(opts: OpenArguments): Promise<OpenedMessage>;
  /** A signed message the gateway kept (an orientation, before its dossier is disclosed or when it expires): verified and read. */
  openSigned(opts: OpenSignedArguments): Promise<SignedDocument>;
  /** The document of a signed message the gateway kept, not verified again (see readKept in src/crypto/open.ts). */
  readKept(opts: ReadKeptArguments): Promise<Uint8Array>;
  /** A partner's signed message, unchanged, encrypted to its recipient (section 5). Armored. */
  sealForRecipient(opts: SealArguments): Promise<string>;
  /** A message of the gateway's own (dossier, withdrawal, expiry notice): signed inline with the gateway's key and encrypted to its recipient. Armored. */
  signAndEncrypt(opts: SignAndEncryptArguments): Promise<string>;
  /** A message of the gateway's own, signed inline with the gateway's key and not encrypted: sealed later with sealForRecipient. Binary. */
  signInline(opts: SignInlineArguments): Promise<Uint8Array>;
  /** A JSON document of the gateway's own, serialised and signed inline: its signed message and the SHA-256 of the bytes signed. */
  signJson(opts: SignJsonArguments): Promise<{ signedMessage: Uint8Array; payloadSha256: string }>;
  /** The receipt of an accepted message (section 4). */
  signReceipt(answer: AcceptedAnswer, gatewayKey: PrivateKey): Promise<string>;
  /** An armored detached signature (the gateway's audit checkpoints, section 6). */
  signDetached(opts: SignDetachedArguments): Promise<string>;
  /** Checks an armored detached signature (a partner's cosignature of a checkpoint); throws GatewayError('receipt_invalid'). */
  verifyDetached(opts: VerifyDetachedArguments): Promise<void>;
  /** Lets the work in progress finish, then stops; for the pool, new work is refused from then on. */
  close(): Promise<void>;
  /** Tasks waiting for a worker thread now (the pool's fair queue and its urgent work); absent on the calling thread. */
  queueLength?(): number;
}

/** On the calling thread. */
export const INLINE_CRYPTO: GatewayCrypto = {
  openFromPartner,
  openSigned,
  readKept,
  sealForRecipient,
  signAndEncrypt: async (opts) => (await signAndEncrypt({ ...opts, armor: true })) as string,
  signInline,
  signJson,
  signReceipt,
  signDetached,
  verifyDetached,
  close: async () => undefined,
};
