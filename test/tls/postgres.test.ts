/**
 * The TLS parameters of PASSERELLE_DATABASE_URL (src/tls/postgres.ts): taken out of the URL, so that
 * node-postgres cannot replace the policy with options of its own, and turned into its `ssl` option.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isGatewayError } from '../../src/domain/errors.js';
import { CIPHERS, MIN_TLS_VERSION } from '../../src/tls/policy.js';
import { takePostgresTls } from '../../src/tls/postgres.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const CA_FILE = path.join(EXAMPLE_CERTS, 'ca.crt');

function take(query: string): { url: URL; tls: ReturnType<typeof takePostgresTls> } {
  const url = new URL(`postgres://passerelle@db.example:5432/passerelle${query}`);
  return { url, tls: takePostgresTls(url) };
}

function refusal(query: string): Error {
  try {
    take(query);
  } catch (err) {
    expect(isGatewayError(err) && err.code === 'config_invalid', String(err)).to.equal(true);
    return err as Error;
  }
  throw new Error(`expected ${query} to be refused`);
}

describe('tls: PostgreSQL TLS parameters', () => {
  it('no TLS parameter, or sslmode=disable: a plain connection', () => {
    expect(take('').tls).to.deep.equal({ ssl: false, sslnegotiation: 'postgres' });
    expect(take('?sslmode=disable').tls).to.deep.equal({ ssl: false, sslnegotiation: 'postgres' });
  });

  it('sslmode=verify-full with sslrootcert: the policy, the CA read from the file, the server verified; the parameters leave the URL', () => {
    const { url, tls } = take(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(CA_FILE)}&application_name=x`);
    expect(tls.ssl).to.include({ minVersion: MIN_TLS_VERSION, ciphers: CIPHERS, rejectUnauthorized: true, ca: fs.readFileSync(CA_FILE, 'utf8') });
    expect([...url.searchParams.keys()]).to.deep.equal(['application_name']);
  });

  it('every other mode (require, verify-ca, prefer, allow) verifies as verify-full does: none turns verification off', () => {
    for (const mode of ['require', 'verify-ca', 'prefer', 'allow']) {
      const { ssl } = take(`?sslmode=${mode}&uselibpqcompat=true`).tls;
      expect(ssl, mode).to.not.equal(false);
      expect(ssl && ssl.rejectUnauthorized, mode).to.equal(true);
      expect(ssl && ssl.checkServerIdentity, mode).to.equal(undefined);
    }
  });

  it('sslnegotiation=direct turns TLS on, as PostgreSQL 17 expects', () => {
    const { tls } = take('?sslnegotiation=direct');
    expect(tls.sslnegotiation).to.equal('direct');
    expect(tls.ssl).to.include({ ciphers: CIPHERS });
  });

  it('refuses no-verify, an unknown mode, a certificate without its key and a file it cannot read, naming the setting', () => {
    expect(refusal('?sslmode=no-verify').message).to.include('sslmode=verify-full');
    expect(refusal('?ssl=no-verify').message).to.include('PASSERELLE_DATABASE_URL');
    expect(refusal('?sslmode=verify_full').message).to.include('not a libpq mode');
    expect(refusal(`?sslmode=require&sslcert=${encodeURIComponent(CA_FILE)}`).message).to.include('sslcert and sslkey go together');
    expect(refusal(`?sslmode=require&sslrootcert=${encodeURIComponent(path.join(os.tmpdir(), 'no-such-ca.pem'))}`).message).to.include('cannot read sslrootcert');
  });
});
