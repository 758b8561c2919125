/**
 * TLS to PostgreSQL, from the libpq parameters of PASSERELLE_DATABASE_URL (`sslmode`, `sslrootcert`,
 * `sslcert`, `sslkey`, `sslnegotiation`), with the policy of ./policy.ts.
 *
 * node-postgres builds its own TLS options from these parameters, and they replace any given beside
 * the URL (pg ConnectionParameters), so the policy would be lost: they are taken out of the URL and
 * turned into node-postgres's `ssl` option here. Every `sslmode` but `disable` verifies the server's
 * certificate and that it names the URL's host (libpq's verify-full), as node-postgres does by default;
 * `no-verify`, which accepts any certificate, is refused. Without TLS parameters there is no TLS, and
 * PGSSLMODE is not read: the settings come from the one URL.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { GatewayError } from '../domain/errors.js';
import { clientTlsPolicy } from './policy.js';

/** libpq's modes (libpq "SSL Support", table 34.1). */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** Every parameter node-postgres reads for TLS; `uselibpqcompat` would turn `require` into "no verification". */
const TLS_PARAMETERS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslnegotiation', 'uselibpqcompat'];

export interface PostgresTls {
  /** node-postgres's `ssl` option: false for a plain connection. */
  ssl: false | ConnectionOptions;
  /** `direct`: TLS from the first byte (PostgreSQL 17), without the SSLRequest exchange. */
  sslnegotiation: 'postgres' | 'direct';
}

function invalid(detail: string): GatewayError {
  return new GatewayError('config_invalid', `PASSERELLE_DATABASE_URL: ${detail}`);
}

function readPem(url: URL, parameter: string): string | undefined {
  const file = url.searchParams.get(parameter);
  if (file === null || file === '') return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`cannot read ${parameter}=${file} (${(err as Error).message}). Fix the path or the file's permissions.`);
  }
}

/** The TLS options the URL asks for; removes the TLS parameters from `url` (node-postgres must not see them). */
export function takePostgresTls(url: URL): PostgresTls {
  const mode = url.searchParams.get('sslmode');
  const ssl = url.searchParams.get('ssl');
  const negotiation = url.searchParams.get('sslnegotiation') ?? 'postgres';
  if (mode === 'no-verify' || ssl === 'no-verify') throw invalid('sslmode=no-verify accepts any server certificate. Use sslmode=verify-full with sslrootcert=<the CA of the server\'s certificate>.');
  if (mode !== null && !SSL_MODES.includes(mode)) throw invalid(`sslmode=${mode} is not a libpq mode (${SSL_MODES.join(', ')}).`);
  if (negotiation !== 'postgres' && negotiation !== 'direct') throw invalid(`sslnegotiation=${negotiation}: expected postgres or direct.`);
  const files = { ca: readPem(url, 'sslrootcert'), cert: readPem(url, 'sslcert'), key: readPem(url, 'sslkey') };
  if ((files.cert === undefined) !== (files.key === undefined)) throw invalid('sslcert and sslkey go together (a client certificate and its key).');
  const wanted =
    mode !== null ? mode !== 'disable' : ssl === 'true' || ssl === '1' || negotiation === 'direct' || Object.values(files).some((f) => f !== undefined);
  for (const parameter of TLS_PARAMETERS) url.searchParams.delete(parameter);
  if (!wanted) {
    if (negotiation === 'direct') throw invalid('sslnegotiation=direct needs TLS; remove sslmode=disable.');
    return { ssl: false, sslnegotiation: 'postgres' };
  }
  return {
    ssl: {
      ...clientTlsPolicy(),
      rejectUnauthorized: true,
      ...(files.ca !== undefined ? { ca: files.ca } : {}),
      ...(files.cert !== undefined ? { cert: files.cert, key: files.key } : {}),
    },
    sslnegotiation: negotiation,
  };
}
