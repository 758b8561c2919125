/**
 * `npm run bench:crypto-profile`: where openpgp.js spends a message's time in the gateway's crypto, on
 * one thread: the same calls as the gateway (open = decrypt + verify with the session-key check, the
 * recipient's copy, the receipt), timed per step, under V8's sampling profiler, self time grouped by
 * what the function does (armor, packet parsing, compression, public-key operations, symmetric
 * cipher, hashing, ...). Written up in docs/performance.md.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPartnerView } from '../../src/client/partner-view.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { openFromPartner } from '../../src/crypto/open.js';
import { signReceipt } from '../../src/crypto/receipt.js';
import { sealForRecipient, signAndEncrypt } from '../../src/crypto/seal.js';
import { CERTS, RECIPIENT, SENDER } from './gateway.js';
import { round } from './measure.js';
import { documentBytes } from './seal.js';

const { values: options } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '300' },
    binary: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  process.stdout.write('npm run bench:crypto-profile -- [--messages N (1000)] [--warmup W (300)] [--binary] [--only open|copy|receipt] [--out profile.cpuprofile]\n');
  process.exit(0);
}
const count = Number(options.messages);
const warmup = Number(options.warmup);

const view = await loadPartnerView({ dir: CERTS, id: SENDER });
const gatewayKey = await readPrivateKey({ armored: fs.readFileSync(path.join(CERTS, 'gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway key' });
const senderKeys = await readPublicKeys({ armored: fs.readFileSync(path.join(CERTS, 'partners', SENDER, 'openpgp.asc'), 'utf8'), source: SENDER });
const recipientKeys = await readPublicKeys({ armored: fs.readFileSync(path.join(CERTS, 'partners', RECIPIENT, 'openpgp.asc'), 'utf8'), source: RECIPIENT });
const knownKeys = [gatewayKey.toPublic(), ...recipientKeys];

process.stderr.write(`crypto-profile: sealing ${warmup + count} messages as ${SENDER}...\n`);
const sealed: Uint8Array[] = [];
for (let i = 0; i < warmup + count; i++) {
  const out = await signAndEncrypt({ document: documentBytes(i), signingKey: view.privateKey, encryptionKeys: view.gatewayKeys, armor: !options.binary });
  sealed.push(typeof out === 'string' ? Buffer.from(out, 'latin1') : out);
}

type Step = 'open' | 'copy' | 'receipt';
const cpu: Record<Step, number> = { open: 0, copy: 0, receipt: 0 };
let forwarded = 0;

const only = options.only as Step | undefined;
if (only !== undefined && !['open', 'copy', 'receipt'].includes(only)) {
  process.stderr.write('crypto-profile: --only takes open, copy or receipt\n');
  process.exit(2);
}
const openMessage = (message: Uint8Array) => openFromPartner({ message, decryptionKey: gatewayKey, senderKeys, maxDocumentBytes: 4 * 1024 * 1024, knownKeys });
/** With --only copy, the messages are opened before the profile starts. */
const preOpened = only === 'copy' ? await Promise.all(sealed.map(openMessage)) : [];

async function one(message: Uint8Array, index: number, timed: boolean): Promise<void> {
  let mark = process.cpuUsage();
  const lap = (step: Step) => {
    if (!timed) return;
    const used = process.cpuUsage(mark);
    cpu[step] += (used.user + used.system) / 1000;
    mark = process.cpuUsage();
  };
  let opened: (typeof preOpened)[number] | undefined = preOpened[index];
  if (only === undefined || only === 'open' || opened === undefined) {
    if (only === 'receipt') opened = undefined;
    else {
      opened = await openMessage(message);
      lap('open');
    }
  }
  if (opened !== undefined && (only === undefined || only === 'copy')) {
    if (opened.sent !== undefined && timed) forwarded++;
    mark = process.cpuUsage();
    await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys, ...(opened.sent === undefined ? {} : { sent: opened.sent }) });
    lap('copy');
  }
  if (only === undefined || only === 'receipt') {
    mark = process.cpuUsage();
    await signReceipt({ messageId: `profile-${index}`, status: 'accepted', acceptedAt: new Date().toISOString(), auditIndex: index, payloadSha256: '0'.repeat(64) }, gatewayKey);
    lap('receipt');
  }
}

process.stderr.write(`crypto-profile: ${warmup} warm-up messages, then ${count} profiled, one at a time...\n`);
for (let i = 0; i < warmup; i++) await one(sealed[i]!, i, false);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const started = performance.now();
for (let i = warmup; i < warmup + count; i++) await one(sealed[i]!, i, true);
const elapsed = performance.now() - started;
const { profile } = await session.post('Profiler.stop');
session.disconnect();
if (options.out) fs.writeFileSync(options.out, JSON.stringify(profile));

/**
 * What a sample was doing: the first frame from the leaf up that one of these names, so that time in a
 * native call (WebCrypto's job, a copy) is charged to the operation that asked for it.
 */
const GROUPS: Array<[string, RegExp]> = [
  ['public-key operations (X25519, Ed25519 through WebCrypto, key import included)', /^(eddsaSignVerify|ecdhDeriveBits|generateKeyPair|cfrgGenerateKey|cfrgImportKey|createCFRGRawKey|initEDRaw|generateKey|deriveBits|recomputeSharedSecret|generateEphemeralEncryptionMaterial|sign\$5|verify\$5)$/],
  // node:crypto's own, on the gateway's native paths (session-key-wrap.ts, session-key-unwrap.ts, fast-signature.ts).
  ['public-key operations (X25519, Ed25519 in node:crypto, key objects included)', /@node:internal\/crypto\/(sig|diffiehellman|keygen|keys):/],
  ['AES key wrap of the session key (RFC 3394)', /aesKw|wrapKey|unwrapKey|cipherOrWrap/],
  ['AES-CFB on the message data', /cfb|Cipheriv|Decipheriv|aesCipher|^decipher|^cipher|AES/i],
  ['hashing (SHA-1 MDC, SHA-256/512 for signatures)', /digest|createHash|^sha|Hash|hash/],
  ['compression (zlib)', /inflat|deflat|zlib|Inflate|Deflate/],
  ['armor (base64, CRC-24)', /armor|base64|b64|crc/i],
  ['signature and key-validity checks', /getLatestValidSignature|verifyAllUsers|isRevoked|getSigningKey|getEncryptionKey|getDecryptionKeys|isDataExpired|verifyPrimaryKey/],
  ["the gateway's own checks (session keys, forwarding, policy)", /@.*src\/crypto\//],
  ['packet parsing, streams and copies', /read|parse|Packet|stream|Stream|concat|transform|Writer|Reader|slice|subarray|write/],
];

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const dt = profile.timeDeltas ?? [];
const timeById = new Map<number, number>();
(profile.samples ?? []).forEach((id, i) => timeById.set(id, (timeById.get(id) ?? 0) + (dt[i] ?? 0)));
const frameOf = (id: number) => {
  const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
  return `${functionName || '(anonymous)'}@${url}:${lineNumber + 1}`;
};
const self = new Map<string, number>();
const byGroup = new Map<string, number>();
let total = 0;
for (const [id, us] of timeById) {
  const leaf = nodes.get(id)!.callFrame.functionName;
  let group: string | undefined;
  let inProfiler = false;
  for (let at: number | undefined = id; at !== undefined && group === undefined; at = parentOf.get(at)) {
    const frame = frameOf(at);
    const name = nodes.get(at)!.callFrame.functionName;
    if (/^post@node:inspector/.test(frame)) inProfiler = true;
    group = GROUPS.find(([, re]) => re.test(name) || re.test(frame))?.[0];
  }
  if (inProfiler) continue;
  group ??= leaf.startsWith('(') ? leaf : 'other JavaScript (promises, openpgp glue)';
  total += us;
  byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  const key = frameOf(id).replace(/@.*\//, '@');
  self.set(key, (self.get(key) ?? 0) + us);
}

const perMessage = (ms: number) => round(ms / count, 3);
const lines = [
  `openpgp.js profile of the gateway's crypto, ${count} messages one at a time (${options.binary ? 'binary' : 'armored'} ${sealed[0]!.length} B), ${forwarded} forwarded as sent`,
  `CPU per message (process, libuv pool included): open ${perMessage(cpu.open)} ms, recipient's copy ${perMessage(cpu.copy)} ms, receipt ${perMessage(cpu.receipt)} ms; total ${perMessage(cpu.open + cpu.copy + cpu.receipt)} ms; wall ${round(elapsed / count, 3)} ms`,
  '',
  'time of the thread by what it does (samples charged to the operation that asked for them):',
  ...[...byGroup].sort((a, b) => b[1] - a[1]).map(([group, us]) => `  ${String(round((100 * us) / total, 1)).padStart(5)} %  ${group}`),
  '',
  'top functions (self time):',
  ...[...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([fn, us]) => `  ${String(round((100 * us) / total, 1)).padStart(5)} %  ${fn}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
