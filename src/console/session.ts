/**
 * The console's session after an OpenID Connect sign-in: a stateless cookie, sealed with AES-256-GCM
 * (NIST SP 800-38D) under a key every gateway instance reads from the same file, so that instances
 * share nothing else. It names the registered partner the person acts for, never the person: the
 * email stays with the identity provider and the role-mapping file.
 *
 * Two limits: idle (no page opened for `idleSeconds`) and absolute (`maxSeconds` after sign-in, even
 * when in use). A page opened renews the idle limit by sealing the cookie again.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

/** `__Host-`: only from this origin over HTTPS, Path=/, no Domain (RFC 6265bis, section 4.1.3.2). */
export const SESSION_COOKIE = '__Host-passerelle-console';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Renewing at most once a minute keeps Set-Cookie off most answers. */
const RENEW_AFTER_SECONDS = 60;

export interface SessionClaims {
  /** The registered partner the person acts for (role-mapping file). */
  partnerId: string;
  /** When the person signed in, and when a page was last opened (seconds since the epoch). */
  signedInAt: number;
  seenAt: number;
}

export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

export class SessionSealer {
  constructor(
    private readonly key: Buffer,
    readonly limits: SessionLimits,
    private readonly now: () => Date,
  ) {
    if (key.length !== 32) throw new Error('session key must be 32 bytes');
  }

  /**
   * Seals a JSON value; `purpose` is bound as additional data, so that a value sealed for one cookie
   * cannot be replayed as another.
   */
  sealValue(purpose: string, value: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${purpose}.${VERSION}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The JSON value sealed for `purpose`; undefined for anything else (tampered, foreign, malformed). */
  openValue(purpose: string, sealed: string | undefined): unknown {
    if (sealed === undefined || !sealed.startsWith(`${VERSION}.`)) return undefined;
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${purpose}.${VERSION}`));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** A keyed hash of a value for the logs (a person's email): linkable by the operator, not readable. */
  hashForLogs(value: string): string {
    return createHmac('sha256', this.key).update(`log:${value}`).digest('hex').slice(0, 16);
  }

  seal(claims: SessionClaims): string {
    return this.sealValue(SESSION_COOKIE, { p: claims.partnerId, i: claims.signedInAt, s: claims.seenAt });
  }

  /** The claims of a cookie value still valid now; undefined for a tampered, foreign or expired one. */
  open(value: string | undefined): SessionClaims | undefined {
    const parsed = this.openValue(SESSION_COOKIE, value) as { p?: unknown; i?: unknown; s?: unknown } | undefined;
    if (!parsed || typeof parsed.p !== 'string' || typeof parsed.i !== 'number' || typeof parsed.s !== 'number') return undefined;
    const claims: SessionClaims = { partnerId: parsed.p, signedInAt: parsed.i, seenAt: parsed.s };
    const now = this.seconds();
    if (now - claims.signedInAt > this.limits.maxSeconds) return undefined;
    if (now - claims.seenAt > this.limits.idleSeconds) return undefined;
    if (claims.seenAt > now + 60 || claims.signedInAt > claims.seenAt) return undefined;
    return claims;
  }

  /** The same session seen now, when it is worth a new Set-Cookie. */
  renewed(claims: SessionClaims): SessionClaims | undefined {
    const now = this.seconds();
    return now - claims.seenAt >= RENEW_AFTER_SECONDS ? { ...claims, seenAt: now } : undefined;
  }

  fresh(partnerId: string): SessionClaims {
    const now = this.seconds();
    return { partnerId, signedInAt: now, seenAt: now };
  }

  seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The Set-Cookie value that stores `claims`, valid until the absolute limit. */
  cookie(claims: SessionClaims): string {
    const maxAge = Math.max(0, claims.signedInAt + this.limits.maxSeconds - this.seconds());
    return `${SESSION_COOKIE}=${this.seal(claims)}; Max-Age=${maxAge}; Path=/; Secure; HttpOnly; SameSite=Strict`;
  }
}

/** The Set-Cookie value that removes the session. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/** A cookie's value in a Cookie header (RFC 6265, section 5.4), if any. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

export function sessionCookieOf(header: string | undefined): string | undefined {
  return cookieOf(header, SESSION_COOKIE);
}



/**
 * The sealing key: 32 random bytes in `file`, made (mode 0600) when it does not exist yet. Gateways
 * that serve the same console must read the same file.
 */
export function loadSessionKey(file: string): Buffer {
  try {
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new GatewayError('config_invalid', `${file} (PASSERELLE_CONSOLE_SESSION_KEY_FILE) must hold 32 bytes in base64 (openssl rand -base64 32). Fix or delete it: a new one is made at start.`);
    return key;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSessionKey(file);
    throw new GatewayError('config_invalid', `Cannot read or create the console's session key ${file} (PASSERELLE_CONSOLE_SESSION_KEY_FILE): ${(err as Error).message}.`, { cause: err });
  }
}
