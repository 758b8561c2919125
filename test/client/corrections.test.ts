/**
 * A recipient's reading of corrections (src/client/dossier.ts): the corrected version of each dossier
 * document, its rectifications applied in the order listed and each checked to be by the document's
 * author; a correction notice's rectification applied to the document held. The entries here stand for
 * documents whose signatures unpackDossier / unpackCorrection verified.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { applyCorrection, correctedDocuments, type DossierEntry } from '../../src/client/dossier.js';
import type { MessageHeader } from '../../src/domain/message.js';
import { orientationTo } from '../fixtures/dossier.js';
import { bytesOf, type Json } from '../fixtures/partner.js';

const REF = '7503123456';

function entry(document: Json, acceptedAt?: string): DossierEntry {
  return { header: document['header'] as MessageHeader, document: bytesOf(document), attestedBy: 'author', signerFingerprint: `fpr-${document['header']['sender'] as string}`, ...(acceptedAt ? { acceptedAt } : {}) };
}

function rectification(sender: string, corrects: Json, changes: Json[], reason = 'ERREUR_DE_SAISIE'): Json {
  return {
    header: { messageId: randomUUID(), type: 'rectification', version: 1, sender, recipient: 'passerelle', sentAt: '2026-12-02T10:00:00Z', beneficiaryRef: REF },
    body: { corrects: corrects['header']['messageId'], changes, reason, requestedOn: '2026-12-01' },
  };
}

describe('client: corrected documents and their history', () => {
  const orientation = orientationTo('france-travail-paris', REF);
  const first = rectification('ofii-paris', orientation, [{ op: 'add', path: '/body/disability', value: { rqth: 'EN_COURS' } }, { op: 'add', path: '/body/consent', value: { healthData: true, healthDataGivenOn: '2026-12-01' } }], 'DEMANDE_DE_LA_PERSONNE');
  const second = rectification('ofii-paris', orientation, [{ op: 'replace', path: '/body/disability/rqth', value: 'OUI' }], 'MISE_A_JOUR');

  it('applies each document its rectifications in the order listed, each on top of the one before, and keeps the history', () => {
    const [document, ...rest] = correctedDocuments([entry(orientation), entry(first, '2026-12-02T10:00:01.000Z'), entry(second, '2026-12-03T10:00:01.000Z')]);
    expect(rest).to.deep.equal([]);
    expect(document!.original).to.deep.equal(orientation);
    expect((document!.corrected as Json)['body']['disability']).to.deep.equal({ rqth: 'OUI' });
    expect(document!.history.map((s) => [s.messageId, s.reason, s.acceptedAt, s.signerFingerprint])).to.deep.equal([
      [first['header']['messageId'], 'DEMANDE_DE_LA_PERSONNE', '2026-12-02T10:00:01.000Z', 'fpr-ofii-paris'],
      [second['header']['messageId'], 'MISE_A_JOUR', '2026-12-03T10:00:01.000Z', 'fpr-ofii-paris'],
    ]);
  });

  it('refuses the dossier when a rectification comes before its document, or does not apply to it', () => {
    expect(() => correctedDocuments([entry(first), entry(orientation)])).to.throw(/does not carry before it/);
    expect(() => correctedDocuments([entry(orientation), entry(second)])).to.throw(/does not apply/);
  });

  it('applies correction notices one after the other to the document held, and refuses one for another document', () => {
    const once = applyCorrection(orientation, entry(first)).corrected;
    const twice = applyCorrection(once, entry(second)).corrected;
    expect((twice as Json)['body']['disability']).to.deep.equal({ rqth: 'OUI' });
    expect((orientation['body'] as Json)['disability']).to.equal(undefined);
    const other = orientationTo('france-travail-paris', REF);
    expect(() => applyCorrection(other, entry(first))).to.throw(/not the document given/);
  });
});
