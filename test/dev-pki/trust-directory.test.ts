import { expect } from 'chai';
import { execFile as execFileCallback } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readKey } from 'openpgp';
import { GatewayError } from '../../src/domain/errors.js';
import { DEFAULT_PARTNERS, registryJson } from '../../src/dev-pki/example-partners.js';
import { generateTrustDirectory } from '../../src/dev-pki/trust-directory.js';
import { loadRegistry } from '../../src/trust/registry.js';

const execFile = promisify(execFileCallback);

const IDS = [
  'ofii-paris',
  'france-travail-paris',
  'mission-locale-paris',
  'cap-emploi-75',
  'epec-paris',
  'ville-de-paris',
  'ftda-paris',
  'prefecture-paris',
  'auditor',
  'operator',
];
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

async function caught(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a GatewayError, got none');
}

/** Opens a mutual-TLS connection and reports what each side saw. */
async function handshake(opts: {
  server: { key: string; cert: string; ca: string };
  client: { key: string; cert: string; ca: string };
  host: string;
}): Promise<{ serverSawCn: string | undefined; serverAuthorized: boolean; clientAuthorized: boolean }> {
  const seen: { cn?: string; authorized?: boolean } = {};
  const server = tls.createServer({ ...opts.server, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (socket) => {
    seen.cn = socket.getPeerCertificate().subject?.CN as string | undefined;
    seen.authorized = socket.authorized;
    socket.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const clientAuthorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tls.connect({ ...opts.client, port, host: opts.host, servername: opts.host === 'localhost' ? 'localhost' : undefined });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('connection closed before any data')));
      socket.on('data', () => {
        resolve(socket.authorized);
        socket.end();
      });
    });
    return { serverSawCn: seen.cn, serverAuthorized: seen.authorized ?? false, clientAuthorized };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('dev-pki generateTrustDirectory', function () {
  this.timeout(60_000);
  let root: string;
  let dir: string;
  const now = new Date();

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'passerelle-pki-'));
    dir = path.join(root, 'trust');
    await generateTrustDirectory({ dir, now });
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const read = (file: string) => readFile(path.join(dir, file), 'utf8');

  it('writes exactly the layout of docs/interface.md, section 2', async () => {
    const expected = [
      'README.md',
      'ca.crt',
      'ca.key',
      'partners.json',
      'gateway/tls.crt',
      'gateway/tls.key',
      'gateway/openpgp.asc',
      'gateway/openpgp.key.asc',
      ...IDS.flatMap((id) => ['tls.crt', 'tls.key', 'openpgp.asc', 'openpgp.key.asc'].map((f) => `partners/${id}/${f}`)),
    ].sort();
    expect(await listFiles(dir)).to.deep.equal(expected);
  });

  it('makes every private key file readable by its owner only (0600), and public files 0644', async () => {
    for (const file of await listFiles(dir)) {
      const mode = (await stat(path.join(dir, file))).mode & 0o777;
      const secret = file === 'ca.key' || file.endsWith('tls.key') || file.endsWith('openpgp.key.asc');
      expect(mode, file).to.equal(secret ? 0o600 : 0o644);
    }
  });

  it('writes a registry the gateway accepts, with the partners and roles of section 1', async () => {
    const registry = loadRegistry(path.join(dir, 'partners.json'));
    expect([...registry.partners.keys()]).to.deep.equal(IDS);
    const ofii = registry.get('ofii-paris')!;
    expect(ofii.role).to.equal('agency');
    expect(ofii.sends).to.deep.equal(['orientation', 'opt-out', 'cir-review', 'rectification']);
    expect(ofii.receives).to.deep.equal(['acknowledgement', 'status-update', 'expiry', 'dossier-request', 'correction']);
    for (const id of IDS.slice(1, 7)) {
      const spe = registry.get(id)!;
      expect(spe.role, id).to.equal('agency');
      expect(spe.sends, id).to.deep.equal(['acknowledgement', 'status-update', 'referral', 'rectification', 'execution-receipt']);
      expect(spe.receives, id).to.deep.equal(['orientation', 'referral', 'dossier', 'withdrawal', 'cir-review', 'correction']);
    }
    expect(registry.get('prefecture-paris')).to.include({ role: 'statistics' });
    expect(registry.get('auditor')).to.include({ role: 'auditor' });
    expect(registry.get('operator')).to.include({ role: 'operator' });
    expect(IDS.slice(1, 7).map((id) => registry.get(id)!.organisationType)).to.deep.equal(['FRANCE_TRAVAIL', 'MISSION_LOCALE', 'CAP_EMPLOI', 'PLIE_EPEC', 'VILLE_PARIS', 'AGIR_FTDA']);
    expect(registry.get('mission-locale-paris')!.eligibility).to.deep.equal([
      { rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] },
    ]);
    expect(registry.get('cap-emploi-75')!.eligibility).to.deep.equal([
      { rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] },
    ]);
    expect(registry.get('ftda-paris')!.eligibility).to.deep.equal([
      {
        rule: 'ftda-international-protection',
        kind: 'residence-grounds-in',
        grounds: ['PI_REFUGIE', 'PI_PROTECTION_SUBSIDIAIRE', 'PI_APATRIDE', 'PI_FAMILLE_BPI'],
        messageTypes: ['orientation'],
      },
    ]);
    for (const id of ['ofii-paris', 'france-travail-paris', 'epec-paris', 'ville-de-paris', 'prefecture-paris', 'auditor']) {
      expect(registry.get(id)!.eligibility, id).to.deep.equal([]);
    }
  });

  it('issues every certificate from ca.crt for its purpose, as OpenSSL verifies', async () => {
    const ca = path.join(dir, 'ca.crt');
    const server = await execFile('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', ca, path.join(dir, 'gateway/tls.crt')]);
    expect(server.stdout).to.match(/: OK\n$/);
    for (const id of IDS) {
      const client = await execFile('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', ca, path.join(dir, `partners/${id}/tls.crt`)]);
      expect(client.stdout, id).to.match(/: OK\n$/);
    }
    // A client certificate is not a server certificate: the purpose check can fail.
    const wrongPurpose = await execFile('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', ca, path.join(dir, 'partners/ofii-paris/tls.crt')]).then(
      () => 'verified',
      (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
    );
    expect(wrongPurpose).to.match(/unsuitable certificate purpose/);
  });

  it('makes ca.crt a self-signed CA that may sign certificates and CRLs only', async () => {
    const ca = new X509Certificate(await read('ca.crt'));
    expect(ca.ca).to.equal(true);
    expect(ca.checkIssued(ca)).to.equal(true);
    expect(ca.verify(ca.publicKey)).to.equal(true);
    const { stdout } = await execFile('openssl', ['x509', '-noout', '-ext', 'basicConstraints,keyUsage', '-in', path.join(dir, 'ca.crt')]);
    expect(stdout).to.match(/Basic Constraints: critical\s+CA:TRUE/);
    expect(stdout).to.match(/Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  });

  it('names each partner in its client certificate: CN = id, O = name, clientAuth only', async () => {
    const names = new Map(DEFAULT_PARTNERS.map((p) => [p.id, p.name]));
    for (const id of IDS) {
      const cert = new X509Certificate(await read(`partners/${id}/tls.crt`));
      expect({ ...cert.toLegacyObject().subject }, id).to.deep.equal({ O: names.get(id), CN: id });
      expect(cert.keyUsage, id).to.deep.equal([CLIENT_AUTH]);
      expect(cert.ca, id).to.equal(false);
    }
  });

  it('gives the gateway a server certificate for localhost, 127.0.0.1 and ::1', async () => {
    const cert = new X509Certificate(await read('gateway/tls.crt'));
    expect(cert.subject).to.match(/(^|\n)CN=passerelle-gateway($|\n)/);
    expect(cert.subjectAltName).to.include('DNS:localhost').and.to.include('IP Address:127.0.0.1');
    expect(cert.checkHost('localhost')).to.equal('localhost');
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(cert.checkIP('::1')).to.equal('::1');
    expect(cert.checkHost('example.org')).to.equal(undefined);
    expect(cert.keyUsage).to.deep.equal([SERVER_AUTH]);
  });

  it('signs with SHA-256 and RSA 2048, random positive 16-byte serials, valid 825 days from now', async () => {
    const files = ['ca.crt', 'gateway/tls.crt', ...IDS.map((id) => `partners/${id}/tls.crt`)];
    const serials = new Set<string>();
    for (const file of files) {
      const { stdout } = await execFile('openssl', ['x509', '-noout', '-text', '-in', path.join(dir, file)]);
      expect(stdout, file).to.match(/Signature Algorithm: sha256WithRSAEncryption/);
      const cert = new X509Certificate(await read(file));
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength, file).to.equal(2048);
      expect(cert.serialNumber, file).to.match(/^[0-7][0-9A-F]{31}$/);
      expect(cert.serialNumber, file).not.to.match(/^00/);
      serials.add(cert.serialNumber);
      const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000;
      expect(days, file).to.equal(825);
      expect(Math.abs(new Date(cert.validFrom).getTime() - now.getTime()), file).to.be.below(2000);
    }
    expect(serials.size).to.equal(files.length);
  });

  it('completes a real mutual TLS handshake in which the gateway sees CN = partner id', async () => {
    const server = { key: await read('gateway/tls.key'), cert: await read('gateway/tls.crt'), ca: await read('ca.crt') };
    for (const [id, host] of [['ofii-paris', 'localhost'], ['cap-emploi-75', '127.0.0.1']] as const) {
      const client = { key: await read(`partners/${id}/tls.key`), cert: await read(`partners/${id}/tls.crt`), ca: await read('ca.crt') };
      const seen = await handshake({ server, client, host });
      expect(seen).to.deep.equal({ serverSawCn: id, serverAuthorized: true, clientAuthorized: true });
    }
  });

  it('gives a CA of its own to each generated directory: a foreign client certificate fails the handshake', async () => {
    const other = path.join(root, 'other');
    await generateTrustDirectory({ dir: other, partners: DEFAULT_PARTNERS.filter((p) => p.id === 'auditor') });
    const server = { key: await read('gateway/tls.key'), cert: await read('gateway/tls.crt'), ca: await read('ca.crt') };
    const client = {
      key: await readFile(path.join(other, 'partners/auditor/tls.key'), 'utf8'),
      cert: await readFile(path.join(other, 'partners/auditor/tls.crt'), 'utf8'),
      ca: await read('ca.crt'),
    };
    let failure: unknown;
    await handshake({ server, client, host: 'localhost' }).catch((err: unknown) => {
      failure = err;
    });
    expect(failure, 'the handshake should have been refused').to.be.instanceOf(Error);
  });

  it('makes version 4 Curve25519 OpenPGP keys named <id>@passerelle.example', async () => {
    for (const id of IDS) {
      const key = await readKey({ armoredKey: await read(`partners/${id}/openpgp.asc`) });
      expect(key.isPrivate(), id).to.equal(false);
      expect(key.keyPacket.version, id).to.equal(4);
      expect(key.getAlgorithmInfo(), id).to.deep.equal({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
      expect(key.getUserIDs(), id).to.have.length(1);
      expect(key.getUserIDs()[0], id).to.match(new RegExp(`<${id}@passerelle\\.example>$`));
      const secret = await readKey({ armoredKey: await read(`partners/${id}/openpgp.key.asc`) });
      expect(secret.isPrivate(), id).to.equal(true);
      expect(secret.getFingerprint(), id).to.equal(key.getFingerprint());
      expect(await key.getExpirationTime(), id).to.deep.equal(new Date(Math.floor(now.getTime() / 1000) * 1000 + 825 * 86_400_000));
    }
    const gateway = await readKey({ armoredKey: await read('gateway/openpgp.asc') });
    expect(gateway.getUserIDs()[0]).to.match(/<gateway@passerelle\.example>$/);
  });

  it('writes OpenPGP keys that GnuPG imports and uses: a partner signs and encrypts, the gateway decrypts', async () => {
    const gnupgHome = await mkdtemp(path.join(tmpdir(), 'passerelle-gnupg-'));
    const gpg = (args: string[], input?: string) =>
      new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        const child = execFileCallback(
          'gpg',
          ['--homedir', gnupgHome, '--batch', '--yes', '--pinentry-mode', 'loopback', '--trust-model', 'always', ...args],
          { encoding: 'utf8' },
          (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr })),
        );
        if (input !== undefined) child.stdin!.end(input);
      });
    try {
      const files = ['gateway/openpgp.asc', 'gateway/openpgp.key.asc', ...IDS.flatMap((id) => [`partners/${id}/openpgp.asc`, `partners/${id}/openpgp.key.asc`])];
      for (const file of files) await gpg(['--import', path.join(dir, file)]);
      const secrets = (await gpg(['--with-colons', '--list-secret-keys'])).stdout.split('\n').filter((line) => line.startsWith('sec:'));
      expect(secrets).to.have.length(IDS.length + 1);

      const plaintext = path.join(gnupgHome, 'document.json');
      await writeFile(plaintext, '{"hello":"world"}');
      await gpg(['--local-user', 'ofii-paris@passerelle.example', '--recipient', 'gateway@passerelle.example', '--sign', '--encrypt', '--output', `${plaintext}.gpg`, plaintext]);
      const ofiiFingerprint = (await readKey({ armoredKey: await read('partners/ofii-paris/openpgp.asc') })).getFingerprint().toUpperCase();
      const decrypted = await gpg(['--status-fd', '2', '--decrypt', `${plaintext}.gpg`]);
      expect(decrypted.stdout).to.equal('{"hello":"world"}');
      expect(decrypted.stderr).to.include(`[GNUPG:] VALIDSIG ${ofiiFingerprint}`);
    } finally {
      await rm(gnupgHome, { recursive: true, force: true });
    }
  });

  it('refuses to write into a non-empty directory without overwrite, and says what to do', async () => {
    const before = await read('ca.crt');
    const err = await caught(generateTrustDirectory({ dir }));
    expect(err.code).to.equal('config_invalid');
    expect(err.message).to.include(dir).and.to.include('--overwrite');
    expect(await read('ca.crt')).to.equal(before);
  });

  it('with overwrite, replaces every trust file, drops partners no longer listed, and keeps other files', async () => {
    const target = path.join(root, 'overwrite');
    await generateTrustDirectory({ dir: target, partners: DEFAULT_PARTNERS.filter((p) => p.id === 'ofii-paris' || p.id === 'auditor') });
    await writeFile(path.join(target, 'notes.txt'), 'operator notes');
    const firstCa = await readFile(path.join(target, 'ca.crt'), 'utf8');

    await generateTrustDirectory({ dir: target, overwrite: true, partners: DEFAULT_PARTNERS.filter((p) => p.id === 'auditor') });

    expect(await listFiles(target)).to.deep.equal(
      [
        'README.md', 'ca.crt', 'ca.key', 'gateway/openpgp.asc', 'gateway/openpgp.key.asc', 'gateway/tls.crt', 'gateway/tls.key', 'notes.txt',
        'partners.json', 'partners/auditor/openpgp.asc', 'partners/auditor/openpgp.key.asc', 'partners/auditor/tls.crt', 'partners/auditor/tls.key',
      ].sort(),
    );
    expect(await readFile(path.join(target, 'ca.crt'), 'utf8')).not.to.equal(firstCa);
    expect(await readFile(path.join(target, 'notes.txt'), 'utf8')).to.equal('operator notes');
    expect([...loadRegistry(path.join(target, 'partners.json')).partners.keys()]).to.deep.equal(['auditor']);
  });

  it('refuses partner seeds that the registry would refuse, before writing anything', async () => {
    const target = path.join(root, 'refused');
    const seeds = [{ ...DEFAULT_PARTNERS[0]!, id: 'Not A Slug' }];
    const err = await caught(generateTrustDirectory({ dir: target, partners: seeds }));
    expect(err.code).to.equal('config_invalid');
    expect(err.message).to.include('/partners/0/id');
    const exists = await stat(target).then(() => true, () => false);
    expect(exists).to.equal(false);
  });

  it('states the end of validity in the README', async () => {
    const cert = new X509Certificate(await read('ca.crt'));
    const readme = await read('README.md');
    expect(readme).to.include('EXAMPLE KEYS ONLY');
    expect(readme).to.include(new Date(cert.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(readme).to.include('npx passerelle pki init --dir certs.example --overwrite');
  });
});

describe('dev-pki: the committed example registry', () => {
  const committed = fileURLToPath(new URL('../../certs.example/partners.json', import.meta.url));

  it('is exactly what the generator writes for DEFAULT_PARTNERS (regenerate it when the defaults change)', async () => {
    expect(await readFile(committed, 'utf8')).to.equal(registryJson(DEFAULT_PARTNERS));
  });

  it('gives the minimisation rules of docs/domain.md (section 4.1): health data to Cap emploi and France Travail with consent only, rights to the Ville de Paris and France Travail only', () => {
    const registry = loadRegistry(committed);
    const rules = (id: string) => registry.get(id)!.minimisation.map((r) => r.rule);
    expect(rules('france-travail-paris')).to.deep.equal(['health-data-with-consent-only', 'health-constraint-with-consent-only']);
    expect(rules('cap-emploi-75')).to.deep.equal(['health-data-with-consent-only', 'health-constraint-with-consent-only', 'income-support-rights-ville-de-paris-france-travail-only', 'rsa-referral-ville-de-paris-france-travail-only']);
    const noHealthData = ['health-data-cap-emploi-france-travail-only', 'health-constraint-cap-emploi-france-travail-only', 'disability-referral-cap-emploi-france-travail-only'];
    expect(rules('ville-de-paris')).to.deep.equal(noHealthData);
    for (const id of ['mission-locale-paris', 'epec-paris', 'ftda-paris']) {
      expect(rules(id), id).to.deep.equal([...noHealthData, 'income-support-rights-ville-de-paris-france-travail-only', 'rsa-referral-ville-de-paris-france-travail-only']);
    }
    const referralRules = (id: string) => registry.get(id)!.minimisation.filter((r) => r.messageTypes.includes('referral')).map((r) => r.rule);
    expect(referralRules('mission-locale-paris'), 'a referral is held to the rules of an orientation').to.deep.equal([
      'health-constraint-cap-emploi-france-travail-only',
      'disability-referral-cap-emploi-france-travail-only',
      'rsa-referral-ville-de-paris-france-travail-only',
    ]);
    for (const id of ['ofii-paris', 'prefecture-paris', 'auditor', 'operator']) expect(rules(id), id).to.deep.equal([]);
  });
});
