/**
 * Interoperability of the exchange with the OpenPGP software partners run (issue 12, item 13): GnuPG,
 * Sequoia and RNP, from Debian, seal every message type a partner sends (orientation, acknowledgement,
 * status update, referral, opt-out), armored and binary, compressed and not, for the gateway alone and
 * for the gateway and the final recipient; each delivery is read by GnuPG, Sequoia, RNP and the
 * project's client as the recipient, which must find the sender's signature over the bytes it signed.
 *
 * One gateway (real TLS, SQLite, RabbitMQ) for the whole matrix; keys and tool homes made once.
 *
 * What each delivery proves beyond the signature: the recipient's session key is the one the sender
 * chose (the gateway forwarded the sender's own ciphertext, src/crypto/forward.ts) and the delivery
 * carries one session-key packet, for the recipient (GnuPG's ENC_TO). Sequoia as a sender names the
 * keys it encrypts to as intended recipients (RFC 9580 section 5.2.3.36): sealed for the gateway alone,
 * every message with a final recipient is refused with how to seal, then accepted once sealed for both.
 */
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type QueuedMessage, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, optOut, orientationTo, randomRef, referral, statusUpdate } from '../fixtures/dossier.js';
import { get, partner, post, type Json } from '../fixtures/partner.js';
import { GATEWAY, Interop, TOOLS, TOOL_NAMES, type Reading, type Sealing, type Tool } from './tools.js';

const OFII = 'ofii-paris';
const FRANCE_TRAVAIL = 'france-travail-paris';
const MISSION_LOCALE = 'mission-locale-paris';
const PARTIES = [OFII, FRANCE_TRAVAIL, MISSION_LOCALE];
const READERS = [...TOOLS, 'client'] as const;
type Reader = (typeof READERS)[number];

type Target = 'gateway' | 'gateway and recipient';

describe('@integration interop: GnuPG, Sequoia and RNP seal for the gateway and read what it delivers', function () {
  this.timeout(300_000);
  let gw: TestGateway;
  let tools: Interop;
  const published: Record<string, string> = {};
  /** Deliveries taken from a queue while waiting for another message: kept until asked for. */
  const taken = new Map<string, QueuedMessage>();
  const counts = { sealed: 0, posted: 0, delivered: 0, reads: 0 };
  let started: number;

  before(async () => {
    started = Date.now();
    gw = await startTestGateway();
    for (const id of PARTIES) {
      const answer = await get(gw.baseUrl, OFII, `/v1/partners/${id}/openpgp-key`);
      expect(answer.status, `GET /v1/partners/${id}/openpgp-key`).to.equal(200);
      published[id] = answer.body as unknown as string;
    }
    tools = await Interop.create(PARTIES, published);
  });

  after(async () => {
    await tools?.dispose();
    await gw?.dispose();
    if (started !== undefined) {
      console.log(`      interop matrix: ${counts.sealed} messages sealed, ${counts.posted} posted, ${counts.delivered} deliveries read ${counts.reads} times, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  });

  it("publishes each partner's encryption key to the partners that send, as the armored key the gateway seals to", async () => {
    const answer = await get(gw.baseUrl, FRANCE_TRAVAIL, `/v1/partners/${MISSION_LOCALE}/openpgp-key`);
    expect(answer.status).to.equal(200);
    expect(answer.contentType).to.match(/^application\/pgp-keys/);
    expect(answer.body as unknown as string).to.match(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/).and.not.match(/PRIVATE/);
    expect(tools.fingerprint(MISSION_LOCALE)).to.equal((await partner(MISSION_LOCALE)).privateKey.getFingerprint());
    const gatewayKey = await get(gw.baseUrl, OFII, `/v1/partners/${GATEWAY}/openpgp-key`);
    expect(gatewayKey.status).to.equal(200);
    expect(tools.fingerprint(GATEWAY)).to.equal((await partner(OFII)).gatewayKeys[0]!.getFingerprint());
    for (const unknown of ['nobody-here', 'prefecture-paris', '..%2Fgateway']) {
      const refused = await get(gw.baseUrl, OFII, `/v1/partners/${unknown}/openpgp-key`);
      expect(refused.status, unknown).to.equal(404);
    }
    expect((await get(gw.baseUrl, 'prefecture-paris', `/v1/partners/${MISSION_LOCALE}/openpgp-key`)).status).to.equal(403);
  });

  /** The delivery of `messageId` in `recipient`'s queue, once the broker has it. */
  async function delivery(recipient: string, messageId: string): Promise<QueuedMessage> {
    await eventually(async () => ((await gw.store.findMessage(messageId))?.status === 'queued' ? true : undefined));
    return eventually(async () => {
      for (const message of await drainQueue(queueName(gw.settings.amqpPrefix, recipient))) taken.set(String(message.properties['messageId']), message);
      const found = taken.get(messageId);
      taken.delete(messageId);
      return found;
    });
  }

  async function read(reader: Reader, recipient: string, sender: string, message: QueuedMessage): Promise<Reading> {
    if (reader !== 'client') return tools.read(reader, recipient, sender, message.body);
    const received = await receiveDelivery({
      view: await partner(recipient),
      delivery: { messageId: String(message.properties['messageId']), sender, body: message.body },
      maxDocumentBytes: gw.settings.maxDocumentBytes,
    });
    expect(received.signerFingerprint).to.equal(tools.fingerprint(sender));
    return { document: Buffer.from(received.document) };
  }

  async function sealAndPost(sealing: Sealing, from: string, to: readonly string[], bytes: Uint8Array) {
    const sealed = await tools.seal(sealing, from, to, bytes);
    counts.sealed++;
    expect(sealed.subarray(0, 27).toString('latin1') === '-----BEGIN PGP MESSAGE-----', 'armored as asked').to.equal(sealing.armor);
    const answer = await post(gw.baseUrl, from, sealed, sealing.armor ? 'application/pgp-encrypted' : 'application/octet-stream');
    counts.posted++;
    return { sealed, answer };
  }

  /**
   * `from` seals `document` with the sealing asked and posts it; when it has a final recipient, every
   * reader finds the sender's signature over the same bytes, with the sender's session key.
   */
  async function exchange(sealing: Sealing, target: Target, from: string, document: Json): Promise<void> {
    const header = document['header'] as { messageId: string; recipient: string; type: string };
    const bytes = new TextEncoder().encode(JSON.stringify(document));
    const toRecipient = header.recipient !== GATEWAY;
    let readers = toRecipient && target === 'gateway and recipient' ? [GATEWAY, header.recipient] : [GATEWAY];
    let { sealed, answer } = await sealAndPost(sealing, from, readers, bytes);
    if (sealing.tool === 'sq' && toRecipient && readers.length === 1) {
      // Sequoia's signature names the gateway alone: the recipient's Sequoia would refuse the delivery.
      expect(answer.status, `${header.type}: ${JSON.stringify(answer.body)}`).to.equal(400);
      expect(answer.body).to.include({ code: 'signature_invalid' });
      expect(String((answer.body as Json)['detail'])).to.match(/intended recipients/).and.match(/openpgp-key/);
      expect(await gw.store.findMessage(header.messageId)).to.equal(undefined);
      readers = [GATEWAY, header.recipient];
      ({ sealed, answer } = await sealAndPost(sealing, from, readers, bytes));
    }
    expect(answer.status, `${header.type}: ${JSON.stringify(answer.body)}`).to.equal(202);
    if (!toRecipient) return;

    const delivered = await delivery(header.recipient, header.messageId);
    counts.delivered++;
    expect(delivered.body.toString('latin1')).to.match(/^-----BEGIN PGP MESSAGE-----/);
    const readings = await Promise.all(
      READERS.map((reader) =>
        read(reader, header.recipient, from, delivered).catch((err: Error) => {
          throw new Error(`${reader} as ${header.recipient}, ${header.type} sealed by ${TOOL_NAMES[sealing.tool]}: ${err.message}`);
        }),
      ),
    );
    counts.reads += readings.length;
    readings.forEach((reading, i) => expect(Buffer.compare(reading.document, bytes), `${READERS[i]} reads the bytes ${from} signed`).to.equal(0));
    const bySequoia = readings[READERS.indexOf('sq')]!;
    expect(bySequoia.sessionKey, "the recipient's session key is the sender's: its own ciphertext, forwarded").to.equal(await tools.sessionKeyOf(sealed));
    const byGnupg = readings[READERS.indexOf('gpg')]!;
    expect(byGnupg.encryptedTo, 'one session-key packet, for the recipient').to.have.length(1);
  }

  /** Every message type a partner sends, about one person: OFII orients, France Travail answers and refers, OFII records the opt-out. */
  async function conversation(sealing: Sealing, target: Target): Promise<void> {
    const ref = randomRef();
    const orientation = orientationTo(FRANCE_TRAVAIL, ref);
    await exchange(sealing, target, OFII, orientation);
    await exchange(sealing, target, FRANCE_TRAVAIL, acknowledgement(FRANCE_TRAVAIL, orientation, 'ACCEPTEE'));
    await exchange(sealing, target, FRANCE_TRAVAIL, statusUpdate(FRANCE_TRAVAIL, orientation, 'PREMIER_ENTRETIEN_REALISE'));
    await exchange(sealing, target, FRANCE_TRAVAIL, referral(FRANCE_TRAVAIL, MISSION_LOCALE, ref));
    await exchange(sealing, target, OFII, optOut(ref));
  }

  const FORMS: Array<Omit<Sealing, 'tool'>> = [
    { armor: true, compress: true },
    { armor: true, compress: false },
    { armor: false, compress: true },
    { armor: false, compress: false },
  ];
  const formName = (form: Omit<Sealing, 'tool'>) => `${form.armor ? 'armored' : 'binary'}, ${form.compress ? 'compressed' : 'uncompressed'}`;

  for (const tool of TOOLS as Tool[]) {
    for (const target of ['gateway', 'gateway and recipient'] as Target[]) {
      const outcome =
        tool === 'sq' && target === 'gateway'
          ? 'each message with a final recipient is refused with how to seal, then accepted sealed for both'
          : 'every message type is accepted';
      it(`${TOOL_NAMES[tool]} seals for the ${target}, armored and binary, compressed and not: ${outcome}; GnuPG, Sequoia, RNP and the client verify each delivery`, async () => {
        // The four forms at once, each about its own person: the tools and the gateway overlap their waits.
        await Promise.all(
          FORMS.map((form) =>
            conversation({ tool, ...form }, target).catch((err: Error) => {
              throw new Error(`${formName(form)}: ${err.message}`);
            }),
          ),
        );
      });
    }
  }
});
