/**
 * The erasure race (issue 11): the operator erases a person while an orientation about that person is
 * being accepted. The agencies that receive a withdrawal notice must be those that received data about
 * the person when the erasure commits, not when it started: an agency oriented in between must not
 * keep the person's data without ever hearing of the erasure.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { eraseBeneficiary } from '../../src/app/erasure.js';
import { Dossiers } from '../../src/app/dossiers.js';
import type { GatewayNotices, NoticeDraft } from '../../src/app/gateway-notices.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { GatewayNotice } from '../../src/store/port.js';
import type { Partner } from '../../src/domain/partner.js';
import { disposeTempStore, ENGINES, newMessage, openTempStore, type TempStore } from '../fixtures/store.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';

const REF = '7503123456';

function agency(id: string): Partner {
  return { id, receives: ['orientation', 'withdrawal'], sends: [] } as unknown as Partner;
}

for (const engine of ENGINES) {
  describe(`app/erasure: an orientation accepted while the erasure is prepared (${engine})`, () => {
    let temp: TempStore;
    afterEach(() => disposeTempStore(temp));

    it('notifies the agency oriented in between too', async () => {
      temp = await openTempStore('passerelle-erasure-race-', engine);
      const { store } = temp;
      const lookup = createLookupKey(randomBytes(32));
      const beneficiary = await createPseudonymiser({ lookup, subjects: store, now: () => new Date() })(REF);
      const orientation = (recipient: string) => {
        const message = newMessage({ messageId: randomUUID(), recipient, beneficiary, acceptedAt: new Date().toISOString() });
        return { ...message, dossier: { lookup: lookup(REF), signedMessage: new TextEncoder().encode(message.messageId), follow: { starts: recipient, takenInCharge: false }, notices: [] } };
      };
      await store.accept(orientation('mission-locale-paris'));

      // The barrier: the first notice is composed (signed, sealed: asynchronous work) while France
      // Travail's orientation is accepted. No timing: the acceptance completes before composing goes on.
      let raced = false;
      const composer = {
        async compose(draft: NoticeDraft): Promise<GatewayNotice> {
          if (!raced) {
            raced = true;
            expect((await store.accept(orientation('france-travail-paris'))).kind).to.equal('accepted');
          }
          const bytes = Buffer.from(`${draft.type} for ${draft.recipient}`);
          return { messageId: randomUUID(), type: draft.type, recipient: draft.recipient, inReplyTo: undefined, payloadSha256: createHash('sha256').update(bytes).digest('hex'), outboxBody: bytes.toString() };
        },
      } as unknown as GatewayNotices;
      const findPartner = (id: string) => agency(id);
      const dossiers = new Dossiers({ store, lookup, notices: composer, findPartner, senderKeys: () => [], maxDocumentBytes: 65_536, validator: createValidator({ schemasDir: defaultSchemasDir() }) });

      const report = await eraseBeneficiary({ store, lookup, notices: composer, dossiers, now: () => new Date() }, { beneficiaryRef: REF, reason: 'art17-request' });

      expect(report.erased).to.equal(true);
      expect([...report.notified].sort()).to.deep.equal(['france-travail-paris', 'mission-locale-paris']);
      const notified = (await store.readAuditEntries(0, 100, 100)).map((e) => JSON.parse(e.entry) as { event: string; recipient?: string }).filter((e) => e.event === 'withdrawal-notified');
      expect(notified.map((e) => e.recipient).sort()).to.deep.equal(['france-travail-paris', 'mission-locale-paris']);
    });
  });
}
