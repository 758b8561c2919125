/**
 * POST /v1/messages and GET /v1/messages/{id} at the HTTP layer (src/http/app.ts, body.ts,
 * authorization.ts): what reaches Ingest, in what order the edge refuses (authorisation, media type,
 * size) and through which port each refusal is audited, and who sees which message. Real express app
 * and HTTPS server with client certificates, fakes at the Ingest and store ports (test/http/bed.ts).
 * The same refusals through a real gateway, hostile framing included, are in
 * test/security/http-attacks.test.ts and test/integration/problems.test.ts.
 */
import { expect } from 'chai';
import type { IngestResult } from '../../src/app/ingest.js';
import { GatewayError } from '../../src/domain/errors.js';
import { eventually } from '../fixtures/gateway.js';
import { json, messageRecord, problem, startBed, type Answer, type Bed } from '../fixtures/http-bed.js';

const MAX_BODY_BYTES = 1024;
const MESSAGE_ID = '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c';

function accepted(outcome: 'accepted' | 'replayed' = 'accepted'): IngestResult {
  return {
    outcome,
    status: outcome === 'accepted' ? 202 : 200,
    answer: { messageId: MESSAGE_ID, status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'c'.repeat(64), receipt: '-----BEGIN PGP SIGNATURE-----' },
    recipient: 'mission-locale-paris',
    type: 'orientation',
  } as IngestResult;
}

/** Waits until the answer came, or `ms` passed: resolves to the answer or to undefined. */
function within(answer: Promise<Answer>, ms: number): Promise<Answer | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([answer, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]).finally(() => clearTimeout(timer));
}

describe('http: POST /v1/messages and GET /v1/messages/{id}', function () {
  let bed: Bed;
  before(async () => {
    bed = await startBed({ maxBodyBytes: MAX_BODY_BYTES });
  });
  after(async () => bed?.close());
  beforeEach(() => {
    bed.ingest.submitted.length = 0;
    bed.ingest.refusedAtEdge.length = 0;
    bed.ingest.answer = async () => accepted();
    bed.store.messages.clear();
    bed.store.calls.length = 0;
    bed.store.lookupFault = undefined;
    bed.logLines.length = 0;
  });

  describe('POST /v1/messages', () => {
    it('the body reaches Ingest byte for byte, with the partner of the client certificate; 202 with its answer', async () => {
      const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const answer = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/octet-stream' }, body });
      expect(answer.status).to.equal(202);
      expect(json(answer)).to.deep.equal(accepted().answer);
      expect(bed.ingest.submitted).to.have.length(1);
      expect(bed.ingest.submitted[0]!.partner).to.equal('ofii-paris');
      expect(bed.ingest.submitted[0]!.body.equals(body)).to.equal(true);
    });

    it('a replay is answered 200 with the original answer', async () => {
      bed.ingest.answer = async () => accepted('replayed');
      const answer = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
      expect(answer.status).to.equal(200);
      expect(json(answer)).to.deep.equal(accepted().answer);
    });

    it('a refusal by Ingest is answered with its code', async () => {
      bed.ingest.answer = async () => {
        throw new GatewayError('duplicate_conflict').recordedAs({ messageId: MESSAGE_ID, auditIndex: 12 });
      };
      const answer = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
      expect(problem(answer)).to.include({ code: 'duplicate_conflict', status: 409 });
    });

    it('a partner whose role sends nothing gets 403 forbidden, audited through Ingest.rejectAtEdge, without its body being read', async () => {
      const { request, answer } = bed.open({ as: 'prefecture-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted', 'content-length': '500' } });
      // No byte of the body is sent: the answer must come anyway.
      const refused = await within(answer, 5_000);
      request.destroy();
      expect(refused, 'answered before the body came').not.to.equal(undefined);
      expect(problem(refused!)).to.include({ code: 'forbidden', status: 403 });
      expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'prefecture-paris', code: 'forbidden' }]);
      expect(bed.ingest.submitted).to.deep.equal([]);
    });

    it('the media type is checked before the body is read: 415 comes while the body is unsent, audited through Ingest.rejectAtEdge', async () => {
      const { request, answer } = bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'content-length': '500' } });
      const refused = await within(answer, 5_000);
      request.destroy();
      expect(refused, 'answered before the body came').not.to.equal(undefined);
      expect(problem(refused!)).to.include({ code: 'unsupported_media_type', status: 415 });
      expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'ofii-paris', code: 'unsupported_media_type' }]);
      expect(bed.ingest.submitted).to.deep.equal([]);
    });

    it('control: an accepted media type waits for the body, and Ingest gets it once it came', async () => {
      const { request, answer } = bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted', 'content-length': '6' } });
      expect(await within(answer, 300), 'no answer before the body').to.equal(undefined);
      request.end('sealed');
      expect((await answer).status).to.equal(202);
      expect(bed.ingest.submitted.map((s) => s.body.toString())).to.deep.equal(['sealed']);
    });

    it(`a Content-Length of ${MAX_BODY_BYTES + 1} is refused 413 from the header, before any byte of the body is sent`, async () => {
      const { request, answer } = bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/octet-stream', 'content-length': String(MAX_BODY_BYTES + 1) } });
      const refused = await within(answer, 5_000);
      request.destroy();
      expect(refused, 'answered before the body came').not.to.equal(undefined);
      expect(problem(refused!)).to.include({ code: 'payload_too_large', status: 413 });
      expect(refused!.headers['connection']).to.equal('close');
      expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'ofii-paris', code: 'payload_too_large' }]);
    });

    it('Content-Encoding identity is the body as it is; any other encoding is 415, audited', async () => {
      const identity = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted', 'content-encoding': 'Identity ' }, body: 'sealed' });
      expect(identity.status).to.equal(202);
      const deflate = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted', 'content-encoding': 'deflate' }, body: 'sealed' });
      expect(problem(deflate)).to.include({ code: 'unsupported_media_type' });
      expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'ofii-paris', code: 'unsupported_media_type' }]);
      expect(bed.ingest.submitted).to.have.length(1);
    });

    for (const framing of ['content-length', 'chunked'] as const) {
      it(`the body bound is exactly maxBodyBytes (${framing}): ${MAX_BODY_BYTES} bytes reach Ingest, ${MAX_BODY_BYTES + 1} get 413, audited`, async () => {
        const send = (bytes: number) => {
          const body = Buffer.alloc(bytes, 0x41);
          const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...(framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : {}) };
          if (framing === 'chunked') {
            // Two chunks, so that the limit is crossed by the second one.
            const { request, answer } = bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers });
            request.write(body.subarray(0, 512));
            request.end(body.subarray(512));
            return answer;
          }
          return bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers, body });
        };
        expect((await send(MAX_BODY_BYTES)).status).to.equal(202);
        expect(bed.ingest.submitted.map((s) => s.body.length)).to.deep.equal([MAX_BODY_BYTES]);
        const over = await send(MAX_BODY_BYTES + 1);
        expect(problem(over)).to.include({ code: 'payload_too_large', status: 413 });
        expect(over.headers['connection']).to.equal('close');
        expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'ofii-paris', code: 'payload_too_large' }]);
        expect(bed.ingest.submitted).to.have.length(1);
      });
    }
  });

  describe('GET /v1/messages/{id}', () => {
    const record = () =>
      messageRecord({
        messageId: MESSAGE_ID,
        sender: 'ofii-paris',
        recipient: 'mission-locale-paris',
        status: 'acknowledged',
        queuedAt: '2026-11-27T10:00:01.000Z',
        acknowledgedAt: '2026-11-28T08:00:00.000Z',
        inReplyTo: '11111111-1111-4111-8111-111111111111',
      });

    for (const caller of ['ofii-paris', 'mission-locale-paris'] as const) {
      it(`${caller === 'ofii-paris' ? 'the sender' : 'the recipient'} sees the message's identifiers, status and the times of the steps it reached, nothing else`, async () => {
        bed.store.messages.set(MESSAGE_ID, record());
        const answer = await bed.request({ as: caller, path: `/v1/messages/${MESSAGE_ID}` });
        expect(answer.status).to.equal(200);
        // No pseudonym, digest, receipt, audit index or reply link: those are for the audit log and the receipt.
        expect(json(answer)).to.deep.equal({
          messageId: MESSAGE_ID,
          type: 'orientation',
          sender: 'ofii-paris',
          recipient: 'mission-locale-paris',
          status: 'acknowledged',
          acceptedAt: '2026-11-27T10:00:00.000Z',
          queuedAt: '2026-11-27T10:00:01.000Z',
          acknowledgedAt: '2026-11-28T08:00:00.000Z',
        });
      });
    }

    it('steps not reached are absent, not null', async () => {
      bed.store.messages.set(MESSAGE_ID, messageRecord({ messageId: MESSAGE_ID, sender: 'ofii-paris', recipient: 'mission-locale-paris' }));
      const body = json(await bed.request({ as: 'ofii-paris', path: `/v1/messages/${MESSAGE_ID}` }));
      expect(Object.keys(body).sort()).to.deep.equal(['acceptedAt', 'messageId', 'recipient', 'sender', 'status', 'type']);
    });

    it('any other partner gets the same 404 as for an id that does not exist, and the log names no message id', async () => {
      bed.store.messages.set(MESSAGE_ID, record());
      const hidden = await bed.request({ as: 'france-travail-paris', path: `/v1/messages/${MESSAGE_ID}` });
      const unknown = await bed.request({ as: 'france-travail-paris', path: '/v1/messages/22222222-2222-4222-8222-222222222222' });
      const withoutRequestId = (answer: Answer) => ({ ...problem(answer), requestId: undefined });
      expect(hidden.status).to.equal(404);
      expect(withoutRequestId(hidden)).to.deep.equal(withoutRequestId(unknown));
      expect(hidden.text.length).to.equal(unknown.text.length);
      await eventually(async () => (bed.requestLines().length === 2 ? true : undefined));
      expect(JSON.stringify(bed.logLines)).not.to.include(MESSAGE_ID);
    });

    it('the statistics role, which may read messages, still sees none it was not party to (404)', async () => {
      bed.store.messages.set(MESSAGE_ID, record());
      expect(problem(await bed.request({ as: 'prefecture-paris', path: `/v1/messages/${MESSAGE_ID}` }))).to.include({ code: 'not_found' });
    });

    for (const id of ['not-a-uuid', MESSAGE_ID.toUpperCase(), `${MESSAGE_ID}0`, '%2E%2E%2Fhealthz']) {
      it(`an id that is not a lower-case UUID (${id}) gets 404 without a look-up in the store`, async () => {
        bed.store.messages.set(MESSAGE_ID, record());
        const answer = await bed.request({ as: 'ofii-paris', path: `/v1/messages/${id}` });
        expect(problem(answer)).to.include({ code: 'not_found' });
        expect(bed.store.calls).to.deep.equal([]);
      });
    }

    it('a store that cannot be read answers 503 unavailable with Retry-After, and no message', async () => {
      bed.store.lookupFault = new GatewayError('unavailable', 'The gateway cannot read its store right now. Retry later.');
      const answer = await bed.request({ as: 'ofii-paris', path: `/v1/messages/${MESSAGE_ID}` });
      expect(problem(answer)).to.include({ code: 'unavailable', status: 503 });
      expect(answer.headers['retry-after']).to.equal('5');
    });

    it('without a client certificate: 401, and the store is not asked', async () => {
      bed.store.messages.set(MESSAGE_ID, record());
      expect(problem(await bed.request({ as: 'none', path: `/v1/messages/${MESSAGE_ID}` }))).to.include({ code: 'unauthenticated', status: 401 });
      expect(bed.store.calls).to.deep.equal([]);
    });
  });
});
