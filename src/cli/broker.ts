/**
 * `passerelle broker setup`: creates or updates the RabbitMQ accounts of src/broker/permissions.ts on
 * the broker, with rabbitmqctl (it needs no management plugin; it must run where rabbitmqctl can reach
 * the node: as root or the rabbitmq user, sharing its Erlang cookie). Idempotent: a second run changes
 * nothing and says so. `--definitions-out` also writes the accounts as a definitions file, which is how
 * deploy/rabbitmq/definitions.json is made.
 *
 * Passwords never appear in a command line (visible to every local user in `ps`): each is read from
 * `<passwords>/<user>.password`, generated there (mode 0600) when the file is missing, and given to
 * rabbitmqctl on its standard input.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { brokerAccounts, brokerDefinitions, type BrokerAccount, type BrokerPermission } from '../broker/permissions.js';
import { GatewayError } from '../domain/errors.js';
import { loadRegistry } from '../trust/registry.js';
import { LAYOUT } from '../trust/trust-store.js';

export interface BrokerSetupOptions {
  settings: Settings;
  /** The virtual host; the one of PASSERELLE_AMQP_URL when absent. */
  vhost?: string;
  /** Folder of the `<user>.password` files; the broker is left alone when absent. */
  passwordsDir?: string;
  definitionsOut?: string;
  rabbitmqctl?: string;
  report?: (line: string) => void;
}

/** Bytes of a generated password: 192 bits, beyond any online guessing. */
const PASSWORD_BYTES = 24;
/** A password file longer than this is not a password file. */
const MAX_PASSWORD_CHARS = 1024;

/** The virtual host a URL names: its path without the slash, decoded; `/` when empty (amqplib's default). */
export function vhostOf(url: string): string {
  const pathname = new URL(url).pathname;
  return pathname === '' || pathname === '/' ? '/' : decodeURIComponent(pathname.slice(1));
}

export function recipientsOf(certsDir: string): string[] {
  const registry = loadRegistry(path.join(certsDir, LAYOUT.registry));
  return [...registry.partners.values()].filter((p) => p.receives.length > 0).map((p) => p.id);
}

export function definitionsText(opts: { prefix: string; vhost: string; recipients: readonly string[] }): string {
  return `${JSON.stringify(brokerDefinitions(opts), null, 2)}\n`;
}

async function rabbitmqctl(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(new GatewayError('config_invalid', `Cannot run ${command} (${error.message}). Install RabbitMQ's command line tools or pass --rabbitmqctl with their path.`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const detail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' ');
      reject(new GatewayError('config_invalid', `rabbitmqctl ${args[0]} failed (exit ${code}): ${detail} Run this command as root or as the rabbitmq user, on the broker's host.`));
    });
    child.stdin.end(input ?? '');
  });
}

function readOrCreatePassword(dir: string, user: string, report: (line: string) => void): string {
  const file = path.join(dir, `${user}.password`);
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text.length === 0 || text.length > MAX_PASSWORD_CHARS || /[\r\n]/.test(text)) {
      throw new GatewayError('config_invalid', `${file} must hold one password on one line (1 to ${MAX_PASSWORD_CHARS} characters). Fix or delete it (a new one is then generated).`);
    }
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const password = randomBytes(PASSWORD_BYTES).toString('base64url');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  report(`  generated ${file} (mode 0600): give it to its holder over a secure channel`);
  return password;
}

function samePermission(a: BrokerPermission, b: BrokerPermission | undefined): boolean {
  return b !== undefined && a.configure === b.configure && a.write === b.write && a.read === b.read;
}

async function applyAccount(ctl: string, vhost: string, account: BrokerAccount, password: string, exists: boolean, current: BrokerPermission | undefined, report: (line: string) => void): Promise<void> {
  const who = account.partner === undefined ? 'the gateway' : `partner ${account.partner}`;
  // A password given on standard input (rabbitmqctl reads it there when the argument is missing).
  if (exists) await rabbitmqctl(ctl, ['change_password', account.user, '-q'], password);
  else await rabbitmqctl(ctl, ['add_user', account.user, '-q'], password);
  report(`user ${account.user} (${who}): ${exists ? 'exists, password set again from its file' : 'created'}`);
  const p = account.permission;
  if (samePermission(p, current)) {
    report(`  permissions on ${vhost}: unchanged (configure ${p.configure} write ${p.write} read ${p.read})`);
  } else {
    await rabbitmqctl(ctl, ['set_permissions', '-q', '-p', vhost, account.user, p.configure, p.write, p.read]);
    report(`  permissions on ${vhost}: set (configure ${p.configure} write ${p.write} read ${p.read})`);
  }
}

export async function brokerSetup(opts: BrokerSetupOptions): Promise<void> {
  const report = opts.report ?? ((line) => process.stdout.write(`${line}\n`));
  const prefix = opts.settings.amqpPrefix;
  const vhost = opts.vhost ?? vhostOf(opts.settings.amqpUrl);
  const recipients = recipientsOf(opts.settings.certsDir);
  const accounts = brokerAccounts(prefix, recipients);
  if (opts.definitionsOut) {
    fs.writeFileSync(opts.definitionsOut, definitionsText({ prefix, vhost, recipients }));
    report(`wrote ${accounts.length} accounts and their permissions on ${vhost} to ${opts.definitionsOut} (no passwords)`);
  }
  if (opts.passwordsDir === undefined) return;
  const ctl = opts.rabbitmqctl ?? 'rabbitmqctl';

  const vhosts = (await rabbitmqctl(ctl, ['list_vhosts', 'name', '-q'])).split('\n').map((l) => l.trim());
  if (!vhosts.includes(vhost)) {
    await rabbitmqctl(ctl, ['add_vhost', vhost, '-q']);
    report(`vhost ${vhost}: created`);
  }
  const users = new Set((await rabbitmqctl(ctl, ['list_users', '-q'])).split('\n').map((l) => l.split('\t')[0]!).filter((u) => u !== ''));
  const permissions = new Map<string, BrokerPermission>();
  for (const line of (await rabbitmqctl(ctl, ['list_permissions', '-q', '-p', vhost])).split('\n')) {
    const [user, configure, write, read] = line.split('\t');
    if (user && configure !== undefined && write !== undefined && read !== undefined) permissions.set(user, { configure, write, read });
  }
  for (const account of accounts) {
    const password = readOrCreatePassword(opts.passwordsDir, account.user, report);
    await applyAccount(ctl, vhost, account, password, users.has(account.user), permissions.get(account.user), report);
  }
  const known = new Set(accounts.map((a) => a.user));
  const stale = [...users].filter((u) => u.startsWith(`${prefix}.`) && !known.has(u));
  if (stale.length > 0) report(`note: ${stale.join(', ')} look like accounts of this prefix that the registry no longer has; delete them with rabbitmqctl delete_user once checked`);
  if (users.has('guest')) report('warning: the guest account exists; delete it in production (rabbitmqctl delete_user guest)');
}

export async function runBrokerSetup(opts: BrokerSetupOptions): Promise<number> {
  await brokerSetup(opts);
  return 0;
}
