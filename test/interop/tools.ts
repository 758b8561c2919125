/**
 * The three OpenPGP implementations partners run, driven as partners run them: GnuPG (`gpg`), Sequoia
 * (`sq`) and RNP (`rnp`, the engine of Thunderbird), all from Debian. Each seals a document for the
 * gateway (and for the final recipient too), armored or binary, compressed or not, and reads what the
 * gateway delivers: decrypt with the recipient's secret key, verify the sender's signature.
 *
 * Keys come from the example trust directory; the final recipient's public key is the one the gateway
 * publishes (GET /v1/partners/{id}/openpgp-key), written to a file for the tools. Homes (GnuPG, RNP)
 * are made once per party and hold its own secret key and everyone's public keys.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

export type Tool = 'gpg' | 'sq' | 'rnp';
export const TOOLS: readonly Tool[] = ['gpg', 'sq', 'rnp'];
export const TOOL_NAMES: Record<Tool, string> = { gpg: 'GnuPG', sq: 'Sequoia', rnp: 'RNP' };

export const GATEWAY = 'passerelle';

export interface Sealing {
  tool: Tool;
  armor: boolean;
  compress: boolean;
}

export interface ProcessResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/** Runs a command with `stdin`, never through a shell. */
export function runTool(command: string, args: string[], stdin: Uint8Array | string = new Uint8Array()): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 }));
    child.stdin.end(Buffer.from(stdin));
  });
}

async function mustRun(command: string, args: string[], stdin?: Uint8Array | string): Promise<ProcessResult> {
  const result = await runTool(command, args, stdin);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  return result;
}

/** Fails with the install command when a tool is missing, rather than skip the suite. */
export async function assertToolsInstalled(): Promise<void> {
  for (const [command, args] of [['gpg', ['--version']], ['sq', ['--version']], ['rnp', ['--version']], ['rnpkeys', ['--version']]] as const) {
    const found = await runTool(command, [...args]).catch(() => undefined);
    expect(found?.code, `${command} is not installed: apt-get install -y gnupg sq rnp (see .ci/run)`).to.equal(0);
  }
}

interface Party {
  id: string;
  /** Upper-case hex fingerprint of the primary key. */
  fingerprint: string;
  publicFile: string;
  secretFile: string | undefined;
  gpg: GnupgHome | undefined;
  rnpHome: string | undefined;
}

/** What a reader found in a delivery: the signed bytes, and what the tool said of the signature and the envelope. */
export interface Reading {
  document: Buffer;
  /** Sequoia only: the session key (upper-case hex), to compare with the one the sender chose. */
  sessionKey?: string;
  /** GnuPG only: the key IDs of the session-key packets (ENC_TO). */
  encryptedTo?: string[];
}

export class Interop {
  private constructor(
    private readonly dir: string,
    private readonly parties: Map<string, Party>,
    private readonly gatewayKey: PrivateKey,
  ) {}

  /**
   * @param ids the partners that seal or read
   * @param published the armored key the gateway publishes for each of them (GET /v1/partners/{id}/openpgp-key), used by senders as the final recipient's key
   */
  static async create(ids: string[], published: Record<string, string>): Promise<Interop> {
    await assertToolsInstalled();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-interop-'));
    const parties = new Map<string, Party>();
    const gatewayPublic = path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.asc');
    const publicFiles = new Map<string, string>([[GATEWAY, gatewayPublic]]);
    for (const id of ids) {
      const file = path.join(dir, `${id}.asc`);
      fs.writeFileSync(file, published[id] ?? fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners', id, 'openpgp.asc')));
      publicFiles.set(id, file);
    }
    const probe = await GnupgHome.create();
    try {
      const fingerprintOf = async (file: string) => {
        const shown = await probe.run(['--with-colons', '--import-options', 'show-only', '--import', file]);
        return shown.stdout.toString('utf8').split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
      };
      parties.set(GATEWAY, { id: GATEWAY, fingerprint: await fingerprintOf(gatewayPublic), publicFile: gatewayPublic, secretFile: undefined, gpg: undefined, rnpHome: undefined });
      for (const id of ids) {
        const secretFile = path.join(EXAMPLE_CERTS, 'partners', id, 'openpgp.key.asc');
        const gpg = await GnupgHome.create();
        await gpg.importKeys(fs.readFileSync(secretFile, 'utf8'), ...[...publicFiles.values()].map((file) => fs.readFileSync(file, 'utf8')));
        const rnpHome = path.join(dir, `rnp-${id}`);
        fs.mkdirSync(rnpHome);
        for (const file of [secretFile, ...publicFiles.values()]) await mustRun('rnpkeys', ['--homedir', rnpHome, '--import', file]);
        parties.set(id, { id, fingerprint: await fingerprintOf(publicFiles.get(id)!), publicFile: publicFiles.get(id)!, secretFile, gpg, rnpHome });
      }
    } finally {
      await probe.remove();
    }
    const gatewayKey = await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.key.asc'), 'utf8') });
    return new Interop(dir, parties, gatewayKey);
  }

  private party(id: string): Party {
    const found = this.parties.get(id);
    if (found === undefined) throw new Error(`no interop party ${id}`);
    return found;
  }

  /** Lower-case hex fingerprint of a party's primary key, as the gateway reports a signer. */
  fingerprint(id: string): string {
    return this.party(id).fingerprint.toLowerCase();
  }

  /**
   * `from` signs `document` and encrypts it to every party of `to` (the gateway first), with `tool`,
   * as a partner's own system would.
   */
  async seal(sealing: Sealing, from: string, to: readonly string[], document: Uint8Array): Promise<Buffer> {
    const sender = this.party(from);
    const readers = to.map((id) => this.party(id));
    switch (sealing.tool) {
      case 'gpg': {
        const made = await sender.gpg!.run(
          [
            '--trust-model', 'always', '-u', sender.fingerprint,
            ...readers.flatMap((reader) => ['-r', reader.fingerprint]),
            ...(sealing.armor ? ['--armor'] : []),
            ...(sealing.compress ? ['--compress-algo', 'zlib', '-z', '6'] : ['-z', '0']),
            '--sign', '--encrypt',
          ],
          { stdin: document },
        );
        return made.stdout;
      }
      case 'sq': {
        // Sequoia's default compression, "pad", is ZIP with Padmé padding inside the compressed packet.
        const made = await mustRun(
          'sq',
          [
            'encrypt', '--signer-key', sender.secretFile!,
            ...readers.flatMap((reader) => ['--recipient-cert', reader.publicFile]),
            ...(sealing.armor ? [] : ['--binary']),
            '--compression', sealing.compress ? 'pad' : 'none',
          ],
          document,
        );
        return made.stdout;
      }
      case 'rnp': {
        const made = await mustRun(
          'rnp',
          [
            '--homedir', sender.rnpHome!, '--sign', '--encrypt', '-u', sender.fingerprint,
            ...readers.flatMap((reader) => ['-r', reader.fingerprint]),
            ...(sealing.armor ? ['--armor'] : []),
            ...(sealing.compress ? ['--zip', '-z', '6'] : ['-z', '0']),
            '--password', '', '--output', '-', '-',
          ],
          document,
        );
        return made.stdout;
      }
    }
  }

  /**
   * `reader` decrypts a delivery with its own secret key and verifies the signature of `sender` with
   * `tool`; throws when the tool refuses it (with what the tool said).
   */
  async read(tool: Tool, reader: string, sender: string, message: Uint8Array): Promise<Reading> {
    const own = this.party(reader);
    const signer = this.party(sender);
    switch (tool) {
      case 'gpg': {
        const opened = await own.gpg!.run(['--trust-model', 'always', '--decrypt'], { stdin: message, allowFailure: true });
        const valid = validSignatures(opened.status);
        if (opened.code !== 0 || valid.length !== 1 || valid[0]!.primaryFingerprint !== signer.fingerprint) {
          throw new Error(`GnuPG refused the delivery (exit ${opened.code}, ${valid.length} valid signatures): ${opened.stderr.trim()}`);
        }
        const encryptedTo = opened.status.filter((line) => line.keyword === 'ENC_TO').map((line) => line.args[0]!);
        return { document: opened.stdout, encryptedTo };
      }
      case 'sq': {
        const opened = await runTool('sq', ['decrypt', '--recipient-key', own.secretFile!, '--signer-cert', signer.publicFile, '--dump-session-key'], message);
        if (opened.code !== 0) throw new Error(`Sequoia refused the delivery (exit ${opened.code}): ${opened.stderr.trim()}`);
        const sessionKey = /Session key: ([0-9A-F]+)/.exec(opened.stderr)?.[1];
        return { document: opened.stdout, ...(sessionKey === undefined ? {} : { sessionKey }) };
      }
      case 'rnp': {
        const opened = await runTool('rnp', ['--homedir', own.rnpHome!, '--decrypt', '--password', '', '--output', '-', '-'], message);
        // RNP names the signing key and its primary's fingerprint, then concludes.
        const verified = /Good signature/.test(opened.stderr) && opened.stderr.includes(signer.fingerprint.toLowerCase()) && /Signature\(s\) verified successfully/.test(opened.stderr);
        if (opened.code !== 0 || !verified) throw new Error(`RNP refused the delivery (exit ${opened.code}): ${opened.stderr.trim()}`);
        return { document: opened.stdout };
      }
    }
  }

  /** The session key of a message the gateway received, read with the gateway's secret key, to compare with the recipient's. */
  async sessionKeyOf(message: Uint8Array): Promise<string> {
    const armored = Buffer.from(message.subarray(0, 27)).toString('latin1') === '-----BEGIN PGP MESSAGE-----';
    const read = armored ? await openpgp.readMessage({ armoredMessage: Buffer.from(message).toString('utf8') }) : await openpgp.readMessage({ binaryMessage: message });
    const [sessionKey, ...more] = await openpgp.decryptSessionKeys({ message: read, decryptionKeys: this.gatewayKey });
    if (sessionKey === undefined || more.length > 0) throw new Error(`expected one session key, found ${more.length + (sessionKey ? 1 : 0)}`);
    return Buffer.from(sessionKey.data).toString('hex').toUpperCase();
  }

  async dispose(): Promise<void> {
    for (const party of this.parties.values()) await party.gpg?.remove();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
