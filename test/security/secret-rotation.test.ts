/**
 * Rotation of the gateway's own secrets without downtime and without breaking earlier proofs (issue
 * 12, item 11), on both engines. A gateway keeps running on the store while the operator rotates
 * (a second store on the same database, as the `passerelle secrets` command opens it).
 *
 * Attacks and failures this guards against: an opt-out that a rotation of the pseudonym secret would
 * let slip (the tombstone no longer found), a dossier a rotation of the key-encryption key would make
 * unreadable, a retired key kept on disk when nothing needs it (a stolen old key file then still
 * decrypts the store's copies), a gateway started on the old secret files.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createDossierServices } from '../../src/app/dossier-services.js';
import { rotateKeyEncryptionKey, rotatePseudonymSecret, secretsStatus } from '../../src/app/secrets.js';
import { GatewayError } from '../../src/domain/errors.js';
import { followEffects } from '../../src/domain/follow.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { Store } from '../../src/store/port.js';
import { openPgStore, openSqliteStore } from '../../src/store/open.js';
import { loadTrustStore, type TrustStore } from '../../src/trust/trust-store.js';
import { orientationTo } from '../fixtures/dossier.js';
import { EXAMPLE_CERTS, testSettings } from '../fixtures/gateway.js';
import { forEachEngine, newMessage, PG_TEST_URL, rawQuery, thrownBy, type TempStore } from '../fixtures/store.js';

const REF = '7503123456';
const OTHER = '7503999999';

forEachEngine('security: rotating the gateway\'s secrets while it runs', (current) => {
  let trust: TrustStore;
  const validator = createValidator({ schemasDir: defaultSchemasDir() });

  before(async () => {
    trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
  });

  /** The services of the running gateway on `store` (what src/gateway.ts builds). */
  const servicesOn = (temp: TempStore, store: Store = temp.store) =>
    createDossierServices({ settings: testSettings({ PASSERELLE_DATA_DIR: temp.dir }), trust, store, validator, now: () => new Date() });

  /** The operator's command: its own store on the same database and data directory. */
  const operatorStore = (temp: TempStore) => (temp.engine === 'sqlite' ? openSqliteStore({ dataDir: temp.dir }) : openPgStore({ url: PG_TEST_URL, dataDir: temp.dir, schema: temp.schema! }));

  async function orient(temp: TempStore, ref: string): Promise<string> {
    const services = servicesOn(temp);
    const beneficiary = await services.pseudonymise(ref);
    const document = orientationTo('mission-locale-paris', ref);
    await temp.store.accept(
      newMessage({
        messageId: document['header']['messageId'] as string,
        beneficiary,
        acceptedAt: new Date().toISOString(),
        dossier: { lookup: services.lookup(ref), signedMessage: new TextEncoder().encode(`signed ${randomUUID()}`), follow: followEffects(document as never), notices: [] },
      }),
    );
    return beneficiary;
  }

  async function optOut(temp: TempStore, ref: string): Promise<void> {
    const services = servicesOn(temp);
    const beneficiary = await services.pseudonymise(ref);
    expect(
      (
        await temp.store.accept(
          newMessage({
            messageId: randomUUID(),
            type: 'opt-out',
            recipient: 'passerelle',
            beneficiary,
            acceptedAt: new Date().toISOString(),
            outboxBody: undefined,
            dossier: { lookup: services.lookup(ref), follow: { takenInCharge: false }, optOut: true, notices: [], preparedFrom: { recipients: await temp.store.recipientsOf(beneficiary) } },
          }),
        )
      ).kind,
    ).to.equal('accepted');
  }

  it('the pseudonym secret: a person keeps their pseudonym, an opt-out still applies, the log is untouched, the old secret goes once nothing needs it', async () => {
    const temp = current();
    const beneficiary = await orient(temp, REF);
    await orient(temp, OTHER);
    await optOut(temp, OTHER);
    const before = await temp.store.readAuditEntries(0, 1000, 1000);

    const operator = await operatorStore(temp);
    try {
      const rotated = await rotatePseudonymSecret({ store: operator, dataDir: temp.dir });
      expect(rotated.previous).to.not.equal(rotated.current);
      // Two rows (the person's subject, the other's tombstone) still under the retired secret: it stays.
      expect(rotated.status.pseudonym.rows.find((r) => r.secret === rotated.previous)?.rows).to.equal(2);
      expect(rotated.status.pseudonym.forgotten).to.deep.equal([]);

      // The running gateway sees the person again: same pseudonym, so the audit log links as before.
      const services = servicesOn(temp);
      expect(await services.pseudonymise(REF)).to.equal(beneficiary);
      expect(await temp.store.findSubject(services.lookup(REF))).to.equal(beneficiary);
      // The person who opted out is still refused once seen (step 8 reads the tombstone by the current lookup).
      await services.pseudonymise(OTHER);
      expect(await temp.store.isOptedOut(services.lookup(OTHER)), 'the opt-out survives the rotation').to.equal(true);

      const status = await secretsStatus({ store: operator, dataDir: temp.dir });
      expect(status.pseudonym.forgotten).to.deep.equal([rotated.previous]);
      expect(fs.readdirSync(path.join(temp.dir, 'secrets', 'retired')).filter((f) => f.startsWith('pseudonym.key'))).to.deep.equal([]);
      expect(await temp.store.readAuditEntries(0, 1000, 1000), 'no audit entry changed').to.deep.equal(before);
    } finally {
      await operator.close();
    }
  });

  it('the key-encryption key: every data key wrapped again, dossiers readable by the running gateway and after a restart, the old key deleted, the old key file refused at start', async () => {
    const temp = current();
    const beneficiary = await orient(temp, REF);
    const oldKek = fs.readFileSync(path.join(temp.dir, 'secrets', 'dossier.kek'));

    const operator = await operatorStore(temp);
    let rotated;
    try {
      rotated = await rotateKeyEncryptionKey({ store: operator, dataDir: temp.dir });
    } finally {
      await operator.close();
    }
    expect(rotated.rewrapped).to.equal(1);
    expect(rotated.status.kek.keys).to.deep.equal([{ kek: rotated.current, keys: 1 }]);
    expect(rotated.status.kek.forgotten, 'the retired key is deleted: nothing needs it').to.deep.equal([rotated.previous]);
    const wrappedBy = await rawQuery<{ kek_id: string }>(temp, 'SELECT kek_id FROM subjects WHERE wrapped_data_key IS NOT NULL');
    expect(wrappedBy.map((r) => r.kek_id)).to.deep.equal([rotated.current]);

    // The gateway that kept running reads the dossier, and wraps a new person's data key with the new key.
    expect(await temp.store.readDossier(beneficiary)).to.have.length(1);
    await orient(temp, OTHER);
    expect((await rawQuery<{ kek_id: string }>(temp, 'SELECT DISTINCT kek_id FROM subjects WHERE wrapped_data_key IS NOT NULL')).map((r) => r.kek_id)).to.deep.equal([rotated.current]);

    // A gateway started with the old key file: refused, naming the file.
    fs.writeFileSync(path.join(temp.dir, 'secrets', 'dossier.kek'), oldKek, { mode: 0o600 });
    const refused = await thrownBy(() => operatorStore(temp));
    expect(refused).to.be.instanceOf(GatewayError).with.property('code', 'config_invalid');
    expect((refused as GatewayError).message).to.include('secrets/dossier.kek');
  });
});
