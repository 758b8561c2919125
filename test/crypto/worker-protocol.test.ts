import { expect } from 'chai';
import { mapKeys, moveBytes, MOVE_MIN_BYTES, type CryptoTask } from '../../src/crypto/worker-protocol.js';

describe('crypto worker protocol', () => {
  it('maps every key of a task and nothing else', () => {
    const task: CryptoTask<string> = { op: 'open', message: new Uint8Array(1), decryptionKeys: ['g'], senderKeys: ['s'], knownKeys: ['k1', 'k2'], maxDocumentBytes: 9 };
    const seen: string[] = [];
    const mapped = mapKeys(task, (key) => {
      seen.push(key);
      return key.toUpperCase();
    });
    expect(mapped).to.deep.equal({ ...task, decryptionKeys: ['G'], senderKeys: ['S'], knownKeys: ['K1', 'K2'] });
    expect(seen).to.deep.equal(['g', 's', 'k1', 'k2']);
    expect(mapKeys({ op: 'receipt', answer: { messageId: 'm', status: 'accepted', acceptedAt: '', auditIndex: 1, payloadSha256: '' }, gatewayKey: 'g' } as CryptoTask<string>, () => 1)).to.include({ gatewayKey: 1 });
  });

  it('moves large byte arrays at any depth, copying those that are part of a larger buffer, and leaves small whole ones to be cloned', () => {
    const whole = new Uint8Array(MOVE_MIN_BYTES);
    const small = new Uint8Array(16);
    const shared = new Uint8Array(8192);
    const part = shared.subarray(100, 200);
    const transfer: ArrayBuffer[] = [];
    const value = { document: whole, small, sent: { encryptedData: part, sessionKeys: [{ data: small }] }, text: 'kept' };
    const moved = moveBytes(value, transfer, false) as typeof value;
    expect(moved.document).to.equal(whole);
    expect(moved.small).to.equal(small);
    expect(moved.sent.encryptedData).to.not.equal(part);
    expect(moved.sent.encryptedData).to.deep.equal(part);
    expect(moved.sent.encryptedData.buffer.byteLength).to.equal(100);
    expect(transfer).to.deep.equal([whole.buffer, moved.sent.encryptedData.buffer]);
    expect(value.sent.encryptedData).to.equal(part);
  });

  it("copies every large byte array when asked, so that the caller's buffers stay its own", () => {
    const whole = new Uint8Array(MOVE_MIN_BYTES).fill(7);
    const transfer: ArrayBuffer[] = [];
    const moved = moveBytes({ message: whole }, transfer, true) as { message: Uint8Array };
    expect(moved.message).to.not.equal(whole);
    expect(moved.message).to.deep.equal(whole);
    expect(transfer).to.deep.equal([moved.message.buffer]);
  });

  it('walks a JSON value without rebuilding it when it holds no bytes to move', () => {
    const value = { header: { id: 'x' }, body: [1, { a: 'b' }] };
    expect(moveBytes(value, [], true)).to.equal(value);
  });
});
