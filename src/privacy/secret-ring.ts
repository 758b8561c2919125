/**
 * A secret of the gateway with its retired predecessors, so that it can be rotated without downtime:
 * `secrets/<name>` is the current one, `secrets/retired/<name>.<id>` each retired one, kept for as long
 * as something the store holds depends on it (a data key it wrapped, a lookup it computed), then
 * deleted. A secret is named by its id, a truncated SHA-256 under a label, which reveals nothing usable
 * about it.
 *
 * The running gateway reads the current secret again when its file changed (a stat per use), and a
 * retired one when it first meets its id, so that an operator's rotation takes effect without a
 * restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';
import { loadOrCreateSecret, SECRET_BYTES } from './secret-file.js';

export interface Secret {
  id: string;
  key: Buffer;
}

export function secretId(label: string, key: Uint8Array): string {
  return createHash('sha256').update(`passerelle ${label}\n`).update(key).digest('hex').slice(0, 16);
}

const RETIRED = 'retired';
const ID = /^[0-9a-f]{16}$/;

export class SecretRing {
  private current: { secret: Secret; stamp: string } | undefined;
  private readonly retired = new Map<string, Secret>();
  /** The retired secrets on disk, read again when their folder changed. */
  private listed: { stamp: string; secrets: Secret[] } | undefined;

  constructor(
    private readonly opts: {
      dataDir: string;
      /** File name under secrets/ (pseudonym.key, dossier.kek). */
      fileName: string;
      /** For messages: what the secret is. */
      what: string;
      /** The label of its id (secretId). */
      label: string;
    },
  ) {}

  private get file(): string {
    return path.join(this.opts.dataDir, 'secrets', this.opts.fileName);
  }

  private retiredFile(id: string): string {
    return path.join(this.opts.dataDir, 'secrets', RETIRED, `${this.opts.fileName}.${id}`);
  }

  /** The current secret, read again when its file changed; created at first use. */
  now(): Secret {
    let stamp: string;
    try {
      const stat = fs.statSync(this.file);
      stamp = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    } catch {
      stamp = 'absent';
    }
    if (this.current === undefined || this.current.stamp !== stamp) {
      const key = loadOrCreateSecret({ dataDir: this.opts.dataDir, fileName: this.opts.fileName, what: this.opts.what });
      const secret = { id: secretId(this.opts.label, key), key };
      this.current = { secret, stamp: stamp === 'absent' ? this.stampOf() : stamp };
    }
    return this.current.secret;
  }

  private stampOf(): string {
    const stat = fs.statSync(this.file);
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  }

  /** The secret of this id, current or retired; undefined when the gateway holds no such secret. */
  byId(id: string): Secret | undefined {
    const current = this.now();
    if (current.id === id) return current;
    if (!ID.test(id)) return undefined;
    let secret = this.retired.get(id);
    if (secret === undefined) {
      let key: Buffer;
      try {
        key = fs.readFileSync(this.retiredFile(id));
      } catch {
        return undefined;
      }
      secret = { id: secretId(this.opts.label, key), key };
      if (secret.id !== id) throw new GatewayError('store_unavailable', `${this.retiredFile(id)} does not hold the secret its name says; restore it from the backup of PASSERELLE_DATA_DIR.`);
      this.retired.set(id, secret);
    }
    return secret;
  }

  /** Every retired secret on disk. */
  retiredSecrets(): Secret[] {
    const dir = path.join(this.opts.dataDir, 'secrets', RETIRED);
    let stamp = 'absent';
    try {
      const stat = fs.statSync(dir);
      stamp = `${stat.ino}:${stat.mtimeMs}`;
    } catch {
      // No rotation yet.
    }
    if (this.listed?.stamp !== stamp) {
      const prefix = `${this.opts.fileName}.`;
      const names = stamp === 'absent' ? [] : fs.readdirSync(dir).filter((name) => name.startsWith(prefix));
      this.listed = { stamp, secrets: names.map((name) => this.byId(name.slice(prefix.length))).filter((secret): secret is Secret => secret !== undefined) };
    }
    return this.listed.secrets;
  }

  /**
   * Makes a new current secret and keeps the previous one as retired. The new file replaces the old
   * one atomically (written beside it, then renamed), and the retired copy is on disk first, so that
   * no reader ever finds neither.
   */
  rotate(): { previous: Secret; current: Secret } {
    const previous = this.now();
    const retiredFile = this.retiredFile(previous.id);
    fs.mkdirSync(path.dirname(retiredFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(retiredFile, previous.key, { mode: 0o600 });
    const next = randomBytes(SECRET_BYTES);
    const temporary = `${this.file}.${process.pid}.new`;
    fs.writeFileSync(temporary, next, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temporary, this.file);
    this.current = undefined;
    return { previous, current: this.now() };
  }

  /** Deletes a retired secret (nothing depends on it any more). */
  forget(id: string): void {
    fs.rmSync(this.retiredFile(id), { force: true });
    this.retired.delete(id);
    this.listed = undefined;
  }
}
