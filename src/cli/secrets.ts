/**
 * `passerelle secrets`: the operator's rotation of the gateway's own secrets, on the gateway host,
 * while the gateway runs (src/app/secrets.ts). Prints ids and counts, never a secret.
 */
import { rotateKeyEncryptionKey, rotatePseudonymSecret, secretsStatus, type SecretsStatus } from '../app/secrets.js';
import type { Settings } from '../config/settings.js';
import { openStore } from '../store/open.js';
import { EXIT } from './exit-codes.js';

function describe(status: SecretsStatus): string[] {
  const lines = [`dossier key-encryption key: current ${status.kek.current}`];
  for (const { kek, keys } of status.kek.keys) lines.push(`  ${kek === status.kek.current ? 'current' : `retired ${kek}`}: wraps ${keys} data key${keys === 1 ? '' : 's'}`);
  for (const id of status.kek.forgotten) lines.push(`  retired ${id}: no longer needed, deleted`);
  lines.push(`pseudonym secret: current ${status.pseudonym.current}`);
  for (const { secret, rows } of status.pseudonym.rows) {
    const who = secret === status.pseudonym.current ? 'current' : secret === '' ? 'lookups made before they named their secret' : `retired ${secret}`;
    lines.push(`  ${who}: ${rows} row${rows === 1 ? '' : 's'} (people and opt-outs), moved to the current secret when the gateway next sees the person`);
  }
  for (const id of status.pseudonym.forgotten) lines.push(`  retired ${id}: no longer needed, deleted`);
  return lines;
}

export async function runSecrets(opts: { settings: Settings; command: 'status' | 'rotate-kek' | 'rotate-pseudonym-secret'; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const store = await openStore(opts.settings);
  const deps = { store, dataDir: opts.settings.dataDir };
  try {
    if (opts.command === 'rotate-kek') {
      const done = await rotateKeyEncryptionKey(deps);
      print(`passerelle: dossier key-encryption key rotated: ${done.previous} retired, ${done.current} current; ${done.rewrapped} data keys wrapped again.`);
      print('Copy PASSERELLE_DATA_DIR/secrets (with secrets/retired) to every other gateway on this store now; run "passerelle secrets status" later to delete what is no longer needed.');
      for (const line of describe(done.status)) print(line);
    } else if (opts.command === 'rotate-pseudonym-secret') {
      const done = await rotatePseudonymSecret(deps);
      print(`passerelle: pseudonym secret rotated: ${done.previous} retired, ${done.current} current. Earlier audit entries and proofs are unchanged.`);
      print('Copy PASSERELLE_DATA_DIR/secrets (with secrets/retired) to every other gateway on this store now; the retired secret stays until no row needs it ("passerelle secrets status").');
      for (const line of describe(done.status)) print(line);
    } else {
      const status = await secretsStatus(deps);
      if (opts.json) print(JSON.stringify(status, null, 2));
      else for (const line of describe(status)) print(line);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
