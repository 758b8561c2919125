import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { copyFile, cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessage, readKey, readMessage, sign, verify } from 'openpgp';
import { GatewayError } from '../../src/domain/errors.js';
import { loadPartnerCredentials, loadTrustStore, partnerSecretPaths } from '../../src/trust/trust-store.js';

const EXAMPLE = fileURLToPath(new URL('../../certs.example', import.meta.url));
const AGENCIES = ['ofii-paris', 'france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'epec-paris', 'ville-de-paris', 'ftda-paris'];
const ALL = [...AGENCIES, 'prefecture-paris', 'auditor', 'operator'];

async function caught(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('config_invalid');
    return err as GatewayError;
  }
  throw new Error('expected a config_invalid GatewayError, got none');
}

async function fingerprintOf(file: string): Promise<string> {
  return (await readKey({ armoredKey: await readFile(file, 'utf8') })).getFingerprint();
}

describe('trust/trust-store', function () {
  this.timeout(30_000);
  let root: string;
  /** A fresh copy of certs.example for each test that damages it. */
  let copy: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'passerelle-trust-'));
  });
  beforeEach(async () => {
    copy = await mkdtemp(path.join(root, 'copy-'));
    await cp(EXAMPLE, copy, { recursive: true });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('loadTrustStore on the committed certs.example', () => {
    it('loads the registry, the CA and the gateway keys', async () => {
      const store = await loadTrustStore({ dir: EXAMPLE });
      expect(store.dir).to.equal(EXAMPLE);
      expect([...store.registry.partners.keys()]).to.deep.equal(ALL);
      expect(store.caPem).to.equal(await readFile(path.join(EXAMPLE, 'ca.crt'), 'utf8'));
      expect(store.gateway.tlsCertPem).to.equal(await readFile(path.join(EXAMPLE, 'gateway/tls.crt'), 'utf8'));
      expect(store.gateway.tlsKeyPem).to.equal(await readFile(path.join(EXAMPLE, 'gateway/tls.key'), 'utf8'));
      const fingerprint = await fingerprintOf(path.join(EXAMPLE, 'gateway/openpgp.asc'));
      expect(store.gateway.fingerprint).to.equal(fingerprint);
      expect(store.gateway.publicKey.getFingerprint()).to.equal(fingerprint);
      expect(store.gateway.privateKey.isPrivate()).to.equal(true);
    });

    it('gives a gateway key pair that signs and verifies', async () => {
      const { gateway } = await loadTrustStore({ dir: EXAMPLE });
      const signed = await sign({ message: await createMessage({ text: 'checkpoint' }), signingKeys: gateway.privateKey });
      const result = await verify({ message: await readMessage({ armoredMessage: signed }), verificationKeys: gateway.publicKey, expectSigned: true });
      expect(result.data).to.equal('checkpoint');
    });

    it('registers each partner with its own OpenPGP key and certificate', async () => {
      const store = await loadTrustStore({ dir: EXAMPLE });
      for (const id of ALL) {
        const trust = store.partner(id)!;
        expect(trust.partner.id, id).to.equal(id);
        expect(trust.publicKeys.map((k) => k.getFingerprint()), id).to.deep.equal([await fingerprintOf(path.join(EXAMPLE, `partners/${id}/openpgp.asc`))]);
        expect(trust.publicKeys[0]!.isPrivate(), id).to.equal(false);
        expect(new X509Certificate(trust.certificatePem!).subject, id).to.match(new RegExp(`(^|\\n)CN=${id}($|\\n)`));
      }
      expect(store.partner('ofii-paris')!.publicKeys[0]!.getFingerprint()).not.to.equal(store.partner('auditor')!.publicKeys[0]!.getFingerprint());
    });

    it('answers undefined for an id that is not registered', async () => {
      const store = await loadTrustStore({ dir: EXAMPLE });
      expect(store.partner('somebody-else')).to.equal(undefined);
      expect(store.partner('gateway')).to.equal(undefined);
    });
  });

  describe('reads no partner secret', () => {
    it('loads a directory from which every partner secret key and the CA key were deleted', async () => {
      for (const id of ALL) {
        await unlink(path.join(copy, `partners/${id}/tls.key`));
        await unlink(path.join(copy, `partners/${id}/openpgp.key.asc`));
      }
      await unlink(path.join(copy, 'ca.key'));
      const store = await loadTrustStore({ dir: copy });
      expect(store.partner('ofii-paris')!.publicKeys).to.have.length(1);
    });
  });

  describe('refuses a broken trust directory with one config_invalid error saying what to do', () => {
    it('a directory that does not exist', async () => {
      const dir = path.join(root, 'nowhere');
      const err = await caught(loadTrustStore({ dir }));
      expect(err.message).to.include(dir).and.include('PASSERELLE_CERTS_DIR').and.include(`passerelle pki init --dir ${dir}`);
    });

    for (const file of ['ca.crt', 'partners.json', 'gateway/tls.crt', 'gateway/tls.key', 'gateway/openpgp.asc', 'gateway/openpgp.key.asc']) {
      it(`a missing ${file}`, async () => {
        await unlink(path.join(copy, file));
        const err = await caught(loadTrustStore({ dir: copy }));
        expect(err.message).to.equal(
          `${copy}: ${file} is missing. Put the file there, or run \`passerelle pki init --dir ${copy}\` to generate an example trust directory.`,
        );
      });
    }

    it("a missing OpenPGP public key of an agency", async () => {
      await unlink(path.join(copy, 'partners/ftda-paris/openpgp.asc'));
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('partners/ftda-paris/openpgp.asc is missing').and.include('"ftda-paris"');
    });

    it('but not a missing key of the statistics or auditor partners, who never send', async () => {
      await unlink(path.join(copy, 'partners/auditor/openpgp.asc'));
      await unlink(path.join(copy, 'partners/prefecture-paris/openpgp.asc'));
      await rm(path.join(copy, 'partners/auditor'), { recursive: true });
      const store = await loadTrustStore({ dir: copy });
      expect(store.partner('auditor')).to.deep.include({ publicKeys: [], certificatePem: undefined });
      expect(store.partner('prefecture-paris')!.publicKeys).to.deep.equal([]);
    });

    it('a registry error, naming partners.json and the field', async () => {
      const file = path.join(copy, 'partners.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { partners: { role: string }[] };
      doc.partners[3]!.role = 'boss';
      await writeFile(file, JSON.stringify(doc));
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.match(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: /partners/3/role .*must be one of agency, statistics, auditor`));
    });

    it('a gateway TLS key that is not the key of its certificate', async () => {
      await copyFile(path.join(copy, 'partners/ofii-paris/tls.key'), path.join(copy, 'gateway/tls.key'));
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('gateway/tls.key is not the key of').and.include('gateway/tls.crt');
    });

    it('a gateway OpenPGP public key that does not match its secret key', async () => {
      await copyFile(path.join(copy, 'partners/ofii-paris/openpgp.asc'), path.join(copy, 'gateway/openpgp.asc'));
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('gateway/openpgp.asc does not hold the public key of');
    });

    it('a ca.crt that is not a CA certificate', async () => {
      await copyFile(path.join(copy, 'gateway/tls.crt'), path.join(copy, 'ca.crt'));
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('ca.crt is not a CA certificate');
    });

    it('a ca.crt that is not a certificate at all', async () => {
      await writeFile(path.join(copy, 'ca.crt'), 'not a certificate');
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('ca.crt is not a PEM X.509 certificate');
    });

    it('certificates that have expired', async () => {
      const validTo = new Date(new X509Certificate(await readFile(path.join(copy, 'ca.crt'), 'utf8')).validTo);
      const err = await caught(loadTrustStore({ dir: copy, now: new Date(validTo.getTime() + 1000) }));
      expect(err.message).to.include('ca.crt is valid from').and.include('Renew it');
    });

    it('a malformed OpenPGP public key of a partner', async () => {
      await writeFile(path.join(copy, 'partners/epec-paris/openpgp.asc'), '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n');
      const err = await caught(loadTrustStore({ dir: copy }));
      expect(err.message).to.include('partners/epec-paris/openpgp.asc');
    });
  });

  describe('loadPartnerCredentials (acting as a partner, example directory only)', () => {
    it("reads the partner's TLS certificate and key, the CA and its OpenPGP secret key", async () => {
      const credentials = await loadPartnerCredentials({ dir: EXAMPLE, id: 'mission-locale-paris' });
      expect(new X509Certificate(credentials.tlsCertPem).subject).to.match(/(^|\n)CN=mission-locale-paris($|\n)/);
      expect(new X509Certificate(credentials.tlsCertPem).checkPrivateKey(createPrivateKey(credentials.tlsKeyPem))).to.equal(true);
      expect(credentials.caPem).to.equal(await readFile(path.join(EXAMPLE, 'ca.crt'), 'utf8'));
      expect(credentials.privateKey.isPrivate()).to.equal(true);
      expect(credentials.privateKey.getFingerprint()).to.equal(await fingerprintOf(path.join(EXAMPLE, 'partners/mission-locale-paris/openpgp.asc')));
    });

    it('refuses when the secret key is not there', async () => {
      await unlink(path.join(copy, 'partners/ofii-paris/openpgp.key.asc'));
      const err = await caught(loadPartnerCredentials({ dir: copy, id: 'ofii-paris' }));
      expect(err.message).to.include('partners/ofii-paris/openpgp.key.asc is missing').and.include('passerelle pki init');
    });

    it('gives the paths of the partner secrets', () => {
      expect(partnerSecretPaths('certs.example', 'ofii-paris')).to.deep.equal({
        tlsCert: path.join('certs.example', 'partners', 'ofii-paris', 'tls.crt'),
        tlsKey: path.join('certs.example', 'partners', 'ofii-paris', 'tls.key'),
        openpgpSecretKey: path.join('certs.example', 'partners', 'ofii-paris', 'openpgp.key.asc'),
      });
    });

    it('refuses an id that would lead out of partners/', () => {
      for (const id of ['../gateway', 'a/b', '', 'OFII']) {
        expect(() => partnerSecretPaths('certs.example', id), id).to.throw(GatewayError).with.property('code', 'config_invalid');
      }
    });
  });
});
