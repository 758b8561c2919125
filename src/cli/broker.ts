/**
 * `passerelle broker setup`: creates or updates the RabbitMQ accounts of src/broker/permissions.ts on
 * the broker (permissions and limits), and deletes the accounts of the prefix that the registry no
 * longer has, with rabbitmqctl (it needs no management plugin; it must run where rabbitmqctl can reach
 * the node: as root or the rabbitmq user, sharing its Erlang cookie). Idempotent: a second run changes
 * nothing and says so. `--dry-run` reads the broker and says what a run would do, changing nothing.
 * `--definitions-out` also writes the accounts as a definitions file, which is how
 * deploy/rabbitmq/definitions.json is made.
 *
 * Passwords never appear in a command line (visible to every local user in `ps`): each is read from
 * `<passwords>/<user>.password`, generated there (mode 0600) when the file is missing, and given to
 * rabbitmqctl on its standard input. With `--client-certificates` the agencies' accounts have no
 * password at all: they log in with a client certificate whose CN is the account's name (EXTERNAL).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { brokerAccounts, brokerDefinitions, isAccountOfPrefix, type BrokerAccount, type BrokerLimits, type BrokerPermission } from '../broker/permissions.js';
import { GatewayError } from '../domain/errors.js';
import { loadRegistry } from '../trust/registry.js';
import { LAYOUT } from '../trust/trust-store.js';
import { EXIT } from './exit-codes.js';

export interface BrokerSetupOptions {
  settings: Settings;
  /** The virtual host; the one of PASSERELLE_AMQP_URL when absent. */
  vhost?: string;
  /** Folder of the `<user>.password` files; the broker is left alone when absent. */
  passwordsDir?: string;
  definitionsOut?: string;
  rabbitmqctl?: string;
  report?: (line: string) => void;
  /** Agencies log in with a client certificate (EXTERNAL): their accounts get no password. */
  clientCertificates?: boolean;
  /** Reads the broker and reports what a run would change; changes nothing, writes no file. */
  dryRun?: boolean;
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

/** What the broker has now. */
interface BrokerState {
  vhosts: Set<string>;
  users: Map<string, { tags: string[]; hasPassword: boolean }>;
  /** On the virtual host of the run. */
  permissions: Map<string, BrokerPermission>;
  limits: Map<string, Partial<BrokerLimits>>;
}

interface ExportedDefinitions {
  vhosts?: Array<{ name: string }>;
  users?: Array<{ name: string; password_hash?: string; tags?: string[] | string; limits?: Partial<BrokerLimits> }>;
  permissions?: Array<{ user: string; vhost: string } & BrokerPermission>;
}

/** One `export_definitions` call (about a second per rabbitmqctl call) instead of one listing per kind. */
async function readBroker(ctl: string, vhost: string): Promise<BrokerState> {
  const text = await rabbitmqctl(ctl, ['export_definitions', '-', '--format', 'json', '-q']);
  let definitions: ExportedDefinitions;
  try {
    definitions = JSON.parse(text.slice(text.indexOf('{'))) as ExportedDefinitions;
  } catch (err) {
    throw new GatewayError('config_invalid', `rabbitmqctl export_definitions printed no JSON (${(err as Error).message}). Run this command on the broker's host, with rabbitmqctl of the broker's version.`, { cause: err });
  }
  const users = new Map<string, { tags: string[]; hasPassword: boolean }>();
  const limits = new Map<string, Partial<BrokerLimits>>();
  for (const user of definitions.users ?? []) {
    const tags = Array.isArray(user.tags) ? user.tags : (user.tags ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    users.set(user.name, { tags, hasPassword: (user.password_hash ?? '') !== '' });
    limits.set(user.name, user.limits ?? {});
  }
  const permissions = new Map<string, BrokerPermission>();
  for (const p of definitions.permissions ?? []) if (p.vhost === vhost) permissions.set(p.user, { configure: p.configure, write: p.write, read: p.read });
  return { vhosts: new Set((definitions.vhosts ?? []).map((v) => v.name)), users, permissions, limits };
}

function samePermission(a: BrokerPermission, b: BrokerPermission | undefined): boolean {
  return b !== undefined && a.configure === b.configure && a.write === b.write && a.read === b.read;
}

function sameLimits(a: BrokerLimits, b: Partial<BrokerLimits> | undefined): boolean {
  return b !== undefined && a['max-connections'] === b['max-connections'] && a['max-channels'] === b['max-channels'];
}

interface Step {
  ctl: string;
  vhost: string;
  dryRun: boolean;
  report: (line: string) => void;
}

/** Runs the rabbitmqctl call, or only says it would in a dry run. */
async function change(step: Step, args: string[], input?: string): Promise<void> {
  if (!step.dryRun) await rabbitmqctl(step.ctl, args, input);
}

async function applyAccount(step: Step, account: BrokerAccount, state: BrokerState, opts: { passwordsDir: string | undefined; certificate: boolean }): Promise<void> {
  const { report, dryRun } = step;
  const who = account.partner === undefined ? 'the gateway' : `partner ${account.partner}`;
  const exists = state.users.has(account.user);
  if (opts.certificate) {
    // add_user needs a password: a random one that is never stored, removed at once.
    if (!exists) await change(step, ['add_user', account.user, '-q'], randomBytes(PASSWORD_BYTES).toString('base64url'));
    if (!exists || state.users.get(account.user)!.hasPassword) await change(step, ['clear_password', account.user, '-q']);
    const how = `no password: logs in with a client certificate whose CN is ${account.user} (EXTERNAL)`;
    report(`user ${account.user} (${who}): ${dryRun ? (exists ? `exists, would have ${how}` : `would be created with ${how}`) : exists ? `exists, ${how}` : `created, ${how}`}`);
  } else if (dryRun) {
    const file = path.join(opts.passwordsDir ?? '<--passwords DIR>', `${account.user}.password`);
    report(`user ${account.user} (${who}): ${exists ? 'exists, would set its password again' : 'would be created'} from ${file}${opts.passwordsDir !== undefined && !fs.existsSync(file) ? ' (would be generated)' : ''}`);
  } else {
    const password = readOrCreatePassword(opts.passwordsDir!, account.user, report);
    // A password given on standard input (rabbitmqctl reads it there when the argument is missing).
    if (exists) await rabbitmqctl(step.ctl, ['change_password', account.user, '-q'], password);
    else await rabbitmqctl(step.ctl, ['add_user', account.user, '-q'], password);
    report(`user ${account.user} (${who}): ${exists ? 'exists, password set again from its file' : 'created'}`);
  }
  const p = account.permission;
  if (samePermission(p, state.permissions.get(account.user))) {
    report(`  permissions on ${step.vhost}: unchanged (configure ${p.configure} write ${p.write} read ${p.read})`);
  } else {
    await change(step, ['set_permissions', '-q', '-p', step.vhost, account.user, p.configure, p.write, p.read]);
    report(`  permissions on ${step.vhost}: ${dryRun ? 'would be set' : 'set'} (configure ${p.configure} write ${p.write} read ${p.read})`);
  }
  const l = account.limits;
  const limits = `max-connections ${l['max-connections']}, max-channels ${l['max-channels']}`;
  if (sameLimits(l, state.limits.get(account.user))) {
    report(`  limits: unchanged (${limits})`);
  } else {
    await change(step, ['set_user_limits', '-q', account.user, JSON.stringify(l)]);
    report(`  limits: ${dryRun ? 'would be set' : 'set'} (${limits})`);
  }
}

/**
 * The accounts of this prefix that the registry no longer has (a removed partner, or one that no
 * longer receives): deleted, with their permissions and limits. An account with tags (administrator,
 * monitoring...) is an operator's, whatever its name: it is kept and named.
 */
async function removeStale(step: Step, prefix: string, accounts: BrokerAccount[], state: BrokerState): Promise<void> {
  const known = new Set(accounts.map((a) => a.user));
  for (const [user, { tags }] of state.users) {
    if (known.has(user) || !isAccountOfPrefix(prefix, user)) continue;
    if (tags.length > 0) {
      step.report(`user ${user}: kept although the registry has no such partner, because it has tags (${tags.join(', ')}): an operator's account? Delete it with rabbitmqctl delete_user once checked`);
      continue;
    }
    await change(step, ['delete_user', user, '-q']);
    step.report(`user ${user}: ${step.dryRun ? 'would be deleted' : 'deleted'} (the registry has no receiving partner of that name)`);
  }
}

export async function brokerSetup(opts: BrokerSetupOptions): Promise<void> {
  const report = opts.report ?? ((line) => process.stdout.write(`${line}\n`));
  const dryRun = opts.dryRun ?? false;
  const prefix = opts.settings.amqpPrefix;
  const vhost = opts.vhost ?? vhostOf(opts.settings.amqpUrl);
  const recipients = recipientsOf(opts.settings.certsDir);
  const accounts = brokerAccounts(prefix, recipients);
  if (opts.definitionsOut) {
    if (!dryRun) fs.writeFileSync(opts.definitionsOut, definitionsText({ prefix, vhost, recipients }));
    report(`${dryRun ? 'would write' : 'wrote'} ${accounts.length} accounts with their permissions on ${vhost} and their limits to ${opts.definitionsOut} (no passwords)`);
  }
  if (opts.passwordsDir === undefined && !dryRun) return;
  const step: Step = { ctl: opts.rabbitmqctl ?? 'rabbitmqctl', vhost, dryRun, report };
  if (dryRun) report('dry run: the broker is read, nothing is changed');

  const state = await readBroker(step.ctl, vhost);
  if (!state.vhosts.has(vhost)) {
    await change(step, ['add_vhost', vhost, '-q']);
    report(`vhost ${vhost}: ${dryRun ? 'would be created' : 'created'}`);
  }
  for (const account of accounts) {
    await applyAccount(step, account, state, { passwordsDir: opts.passwordsDir, certificate: (opts.clientCertificates ?? false) && account.partner !== undefined });
  }
  await removeStale(step, prefix, accounts, state);
  if (opts.clientCertificates) {
    report('note: agencies log in with client certificates: the broker needs the rabbitmq_auth_mechanism_ssl plugin, EXTERNAL in auth_mechanisms, ssl_cert_login_from = common_name and a TLS listener that requires a certificate (deploy/rabbitmq/rabbitmq.client-certificates.conf.example)');
  }
  if (state.users.has('guest')) report('warning: the guest account exists; delete it in production (rabbitmqctl delete_user guest)');
}

export async function runBrokerSetup(opts: BrokerSetupOptions & { json?: boolean }): Promise<number> {
  if (!opts.json) {
    await brokerSetup(opts);
    return EXIT.ok;
  }
  const actions: string[] = [];
  await brokerSetup({ ...opts, report: (line) => actions.push(line.trim()) });
  process.stdout.write(`${JSON.stringify({ dryRun: opts.dryRun ?? false, vhost: opts.vhost ?? vhostOf(opts.settings.amqpUrl), actions }, null, 2)}\n`);
  return EXIT.ok;
}
