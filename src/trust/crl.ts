/**
 * The partner CA's certificate revocation list (RFC 5280 section 5), optional file `crl.pem` of the
 * trust directory. When present, the TLS server refuses every client certificate it lists; the file
 * is read again when it changes (file watch) or on demand (SIGHUP), without a restart.
 *
 * OpenSSL itself checks revocation during each handshake (Node's `crl` option turns on
 * X509_V_FLAG_CRL_CHECK). This module reads the list too, for two reasons: a broken or foreign file
 * must be refused with a readable line before it is handed to OpenSSL (where a CRL that does not
 * verify makes every client certificate fail, with no word to the operator), and connections opened
 * before a revocation must be cut, which needs the revoked serial numbers.
 *
 * Decoding is a minimal DER reader for the CertificateList structure (RFC 5280 section 5.1); the
 * signature is verified with the CA's public key.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

export const CRL_FILE = 'crl.pem';

export interface RevocationList {
  /** The PEM text, as handed to the TLS layer. */
  pem: string;
  /** Serial numbers of the revoked certificates, upper-case hex without leading zeros. */
  revokedSerials: ReadonlySet<string>;
  thisUpdate: Date;
  /** After this date OpenSSL treats the list as expired and refuses every client certificate. */
  nextUpdate: Date | undefined;
}

/** Signature algorithms accepted for a CRL (RFC 5754, RFC 8410); SHA-1 is refused. */
const SIGNATURE_ALGORITHMS: Record<string, string | null> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519: no separate digest
};

/** A serial number as the TLS layer and this module both write it. */
export function normaliseSerial(hex: string): string {
  const digits = hex.replace(/[^0-9a-fA-F]/g, '').toUpperCase().replace(/^0+/, '');
  return digits === '' ? '0' : digits;
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

/**
 * A CRL whose DER does not follow RFC 5280 section 5.1. parseRevocationList adds the file and what to
 * do; this says what is wrong.
 */
function malformed(detail: string): GatewayError {
  return new GatewayError('config_invalid', `it is not a well-formed DER certificate revocation list (${detail})`);
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed('an element runs past the end of its enclosing data');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw malformed('an element has an invalid length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) throw malformed('an element runs past the end of its enclosing data');
  return { tag, offset, start, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const list: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    list.push(child);
    at = child.end;
  }
  return list;
}

function oid(der: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x06) throw malformed('an object identifier was expected');
  const bytes = der.subarray(tlv.start, tlv.end);
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function time(der: Uint8Array, tlv: Tlv): Date {
  const text = Buffer.from(der.subarray(tlv.start, tlv.end)).toString('latin1');
  // RFC 5280 section 5.1.2.4: UTCTime YYMMDDHHMMSSZ (years 1950-2049), GeneralizedTime YYYYMMDDHHMMSSZ.
  const match = tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : tlv.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!match) throw malformed('a date is neither a UTCTime nor a GeneralizedTime');
  let year = Number(match[1]);
  if (tlv.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
}

function isTime(tlv: Tlv | undefined): tlv is Tlv {
  return tlv !== undefined && (tlv.tag === 0x17 || tlv.tag === 0x18);
}

/** One DER CertificateList: its revoked serials, dates, and a signature checked against the CA. */
function decodeCrl(der: Uint8Array, ca: X509Certificate): { serials: string[]; thisUpdate: Date; nextUpdate: Date | undefined } {
  const outer = readTlv(der, 0, der.length);
  const [tbs, algorithm, signature] = children(der, outer);
  if (outer.tag !== 0x30 || tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03) throw malformed('its outer structure is not a CertificateList');
  const algorithmOid = oid(der, children(der, algorithm)[0]!);
  if (!(algorithmOid in SIGNATURE_ALGORITHMS)) {
    throw new GatewayError('config_invalid', `signed with algorithm ${algorithmOid}, which the gateway does not accept; sign it with SHA-256 or stronger (openssl ca -gencrl -md sha256)`);
  }
  // BIT STRING: the first content byte counts unused bits, 0 for a signature.
  const signatureBytes = der.subarray(signature.start + 1, signature.end);
  const signed = verifySignature(SIGNATURE_ALGORITHMS[algorithmOid] ?? null, der.subarray(tbs.offset, tbs.end), ca.publicKey, signatureBytes);
  if (!signed) throw new GatewayError('config_invalid', 'its signature does not verify with ca.crt: it was not issued by the partner CA of this trust directory');

  const fields = children(der, tbs);
  let index = fields[0]?.tag === 0x02 ? 1 : 0; // optional version
  index += 2; // signature algorithm, issuer
  const thisUpdateField = fields[index++];
  if (!isTime(thisUpdateField)) throw malformed('it has no thisUpdate date');
  const nextUpdateField = isTime(fields[index]) ? fields[index++] : undefined;
  const serials: string[] = [];
  const revoked = fields[index];
  if (revoked?.tag === 0x30) {
    for (const entry of children(der, revoked)) {
      const serial = children(der, entry)[0];
      if (serial?.tag !== 0x02) throw malformed('a revoked entry has no serial number');
      serials.push(normaliseSerial(Buffer.from(der.subarray(serial.start, serial.end)).toString('hex')));
    }
  }
  return { serials, thisUpdate: time(der, thisUpdateField), nextUpdate: nextUpdateField ? time(der, nextUpdateField) : undefined };
}

/**
 * Reads the PEM text of one or more CRLs issued by the CA in caPem.
 * @throws GatewayError('config_invalid') naming `source` and what to do.
 */
export function parseRevocationList(pem: string, caPem: string, source: string): RevocationList {
  const blocks = [...pem.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0) {
    throw new GatewayError('config_invalid', `${source} holds no PEM certificate revocation list (-----BEGIN X509 CRL-----). Generate it with openssl ca -gencrl, or remove the file.`);
  }
  const ca = new X509Certificate(caPem);
  const revokedSerials = new Set<string>();
  let thisUpdate = new Date(0);
  let nextUpdate: Date | undefined;
  for (const der of blocks) {
    let decoded: ReturnType<typeof decodeCrl>;
    try {
      decoded = decodeCrl(der, ca);
    } catch (err) {
      const reason = err instanceof GatewayError ? err.message : 'it is not a well-formed DER certificate revocation list';
      throw new GatewayError('config_invalid', `${source} is refused: ${reason}. Generate it again with openssl ca -gencrl using the key of ca.crt, or remove the file.`, { cause: err });
    }
    decoded.serials.forEach((serial) => revokedSerials.add(serial));
    if (decoded.thisUpdate > thisUpdate) thisUpdate = decoded.thisUpdate;
    if (decoded.nextUpdate && (!nextUpdate || decoded.nextUpdate < nextUpdate)) nextUpdate = decoded.nextUpdate;
  }
  return Object.freeze({ pem, revokedSerials, thisUpdate, nextUpdate });
}

/** The trust directory's revocation list, or undefined when it has no crl.pem. */
export async function loadRevocationList(opts: { dir: string; caPem: string }): Promise<RevocationList | undefined> {
  const file = path.join(opts.dir, CRL_FILE);
  let pem: string;
  try {
    pem = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('config_invalid', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`, { cause: err });
  }
  return parseRevocationList(pem, opts.caPem, file);
}

export interface RevocationWatch {
  /** Reads crl.pem again now (SIGHUP); resolves once a change, if any, was applied. */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Watches the trust directory for changes of crl.pem and hands each new valid list (or undefined
 * once the file is removed) to onChange. A file that does not parse keeps the previous list in force
 * and is reported to onError. The directory is watched, not the file, so that an atomic replacement
 * (write to a temporary name, then rename) is seen.
 */
export function watchRevocationList(opts: {
  dir: string;
  caPem: string;
  initial: RevocationList | undefined;
  onChange: (list: RevocationList | undefined) => void;
  onError: (error: GatewayError) => void;
  debounceMs?: number;
}): RevocationWatch {
  let current = opts.initial?.pem;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      try {
        const list = await loadRevocationList({ dir: opts.dir, caPem: opts.caPem });
        if (list?.pem === current) return;
        current = list?.pem;
        opts.onChange(list);
      } catch (err) {
        opts.onError(err instanceof GatewayError ? err : new GatewayError('config_invalid', `${CRL_FILE} could not be reloaded.`, { cause: err }));
      }
    });
    return running;
  };
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(opts.dir, { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== CRL_FILE) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), opts.debounceMs ?? 100);
    });
    watcher.on('error', (err) => opts.onError(new GatewayError('config_invalid', `The trust directory ${opts.dir} can no longer be watched for ${CRL_FILE}; send SIGHUP after changing it.`, { cause: err })));
  } catch (err) {
    opts.onError(new GatewayError('config_invalid', `The trust directory ${opts.dir} cannot be watched for ${CRL_FILE}; send SIGHUP after changing it.`, { cause: err }));
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
