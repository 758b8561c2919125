/**
 * The consumer's check of a dossier, with real OpenPGP and the example keys: every document must carry
 * its original sender's signature and match what the dossier lists; the gateway's signature on the
 * dossier vouches for nothing inside it.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { receiveDelivery } from '../../src/client/receive.js';
import { readPrivateKey } from '../../src/crypto/keys.js';
import { signAndEncrypt } from '../../src/crypto/seal.js';
import { GatewayError } from '../../src/domain/errors.js';
import { acknowledgement, orientationTo, readCert } from '../fixtures/dossier.js';
import { bytesOf, partner, type Json } from '../fixtures/partner.js';

const REF = '7503123456';

async function signedBy(partnerId: string, document: Json): Promise<string> {
  const key = partnerId === 'passerelle' ? await gatewayKey() : (await partner(partnerId)).privateKey;
  const message = await openpgp.createMessage({ binary: bytesOf(document) });
  return Buffer.from((await openpgp.sign({ message, signingKeys: key, format: 'binary' })) as Uint8Array).toString('base64');
}

let gatewaySecret: openpgp.PrivateKey | undefined;
async function gatewayKey(): Promise<openpgp.PrivateKey> {
  gatewaySecret ??= await readPrivateKey({ armored: readCert('gateway', 'openpgp.key.asc'), source: 'gateway key' });
  return gatewaySecret;
}

interface Listed {
  document: Json;
  listedSender?: string;
  signer?: string;
}

async function deliver(items: Listed[], opts: { signer?: 'gateway' | string; sender?: string } = {}) {
  const view = await partner('mission-locale-paris');
  const dossier = {
    header: { messageId: randomUUID(), type: 'dossier', version: 1, sender: opts.sender ?? 'passerelle', recipient: 'mission-locale-paris', sentAt: new Date().toISOString(), beneficiaryRef: REF, inReplyTo: randomUUID() },
    body: {
      documents: await Promise.all(
        items.map(async (item) => ({
          messageId: item.document['header']['messageId'],
          type: item.document['header']['type'],
          sender: item.listedSender ?? item.document['header']['sender'],
          acceptedAt: new Date().toISOString(),
          signedMessage: await signedBy(item.signer ?? item.document['header']['sender'], item.document),
        })),
      ),
    },
  };
  const signingKey = opts.signer === undefined || opts.signer === 'gateway' ? await gatewayKey() : (await partner(opts.signer)).privateKey;
  const body = (await signAndEncrypt({ document: bytesOf(dossier), signingKey, encryptionKeys: [view.privateKey.toPublic()], armor: true })) as string;
  return receiveDelivery({ view, delivery: { messageId: dossier.header.messageId, sender: 'passerelle', body: new TextEncoder().encode(body) }, maxDocumentBytes: 4 * 1024 * 1024 });
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('the dossier was accepted');
}

describe('client/dossier', function () {
  this.timeout(30_000);
  const orientation = orientationTo('france-travail-paris', REF);
  const ack = acknowledgement('france-travail-paris', orientation, 'ACCEPTEE');

  it('unpacks a dossier signed by the gateway whose documents carry their senders’ signatures', async () => {
    const received = await deliver([{ document: orientation }, { document: ack }]);
    expect(received.dossier!.map((d) => d.header.sender)).to.deep.equal(['ofii-paris', 'france-travail-paris']);
    expect(Buffer.from(received.dossier![1]!.document).equals(Buffer.from(bytesOf(ack)))).to.equal(true);
  });

  it('refuses a document signed by another partner than the one listed (the gateway cannot vouch for it)', async () => {
    const err = await refusal(deliver([{ document: orientation, signer: 'cap-emploi-75' }]));
    expect(err.code).to.equal('signature_invalid');
  });

  it('refuses a document signed by the gateway in the name of a partner, or listed as the gateway’s', async () => {
    expect((await refusal(deliver([{ document: orientation, signer: 'passerelle' }]))).code).to.equal('signature_invalid');
    const forged = { ...orientation, header: { ...orientation['header'], sender: 'passerelle' } };
    expect((await refusal(deliver([{ document: forged, signer: 'passerelle' }]))).code).to.equal('signature_invalid');
  });

  it('refuses a document about another person, or listed under another sender or id', async () => {
    const other = orientationTo('france-travail-paris', '7503999999');
    expect((await refusal(deliver([{ document: other }]))).code).to.equal('sender_mismatch');
    expect((await refusal(deliver([{ document: ack, listedSender: 'ofii-paris', signer: 'france-travail-paris' }]))).code).to.equal('signature_invalid');
  });

  it('refuses a dossier that a partner signed in the gateway’s name', async () => {
    expect((await refusal(deliver([{ document: orientation }], { signer: 'france-travail-paris' }))).code).to.equal('signature_invalid');
  });
});
