/**
 * Every `passerelle` command: its declaration (command-line.ts: usage, options, help) and what runs it
 * once its command line is parsed. The help, the dispatch, docs/cli.md and the tests read this list.
 * The implementations are loaded only when their command runs, so that --help, --version and usage
 * errors answer at once.
 */
import type { Settings } from '../config/settings.js';
import { COMMON, decimalNumber, oneOf, required, usageError, wholeNumber, type CommandSpec, type OptionSpec, type ParsedCommand } from './command-line.js';

export interface Command {
  spec: CommandSpec;
  run(parsed: ParsedCommand): Promise<number>;
}

const ON_HOST_SECRETS = 'Runs on the gateway host, with its PASSERELLE_DATA_DIR and store (PASSERELLE_DATABASE_URL or SQLite).';
const ON_HOST_DOSSIERS = 'Runs on the gateway host, with its PASSERELLE_DATA_DIR, store and trust directory; the notices it queues leave through the running gateway.';
const AS_AUDITOR = COMMON.as('ID', "the auditor's partner id (auditor in certs.example)");
const GATEWAY_KEY: OptionSpec = { type: 'string', value: 'FILE', help: "the gateway's OpenPGP public key(s) (default gateway/openpgp.asc of PASSERELLE_CERTS_DIR)" };

export const SEND: CommandSpec = {
  name: 'send',
  summary: 'seal documents as PARTNER (sign, encrypt to the gateway), post them, verify each receipt',
  usage: ['send --as PARTNER [--keep-header] [--json] [--gateway URL] FILE.json...'],
  description: [
    'Each FILE is a JSON document {header, body} (schemas/). A missing header.messageId or header.sentAt is',
    "filled in. A sentAt outside the gateway's window (PASSERELLE_MAX_AGE_SECONDS back,",
    'PASSERELLE_MAX_FUTURE_SECONDS ahead), such as the old one of schemas/examples/, would be refused as',
    'stale_message: such a document is sent as a new message, with a new messageId and sentAt now, and stderr',
    'says so (--keep-header sends it as written).',
    'One FILE: the verified receipt is printed on stdout. Several: one line per file, and a progress bar on a',
    'terminal. A refused document is explained on stderr, the others are still sent, and the exit code is 1.',
  ],
  options: {
    as: COMMON.as(),
    'keep-header': { type: 'boolean', help: 'send messageId and sentAt exactly as the file has them, even when the gateway will refuse them' },
    json: COMMON.json('{"results": [{file, messageId, outcome, renewed, receipt | problem}]}; outcome is accepted, replayed, accepted-without-receipt or refused'),
    gateway: COMMON.gateway,
  },
  positionals: { name: 'FILE.json (the document to send)', min: 1, max: 10_000 },
  examples: ['passerelle send --as ofii-paris schemas/examples/orientation.v1.json'],
};

export const STATUS: CommandSpec = {
  name: 'status',
  summary: 'show where a message is (accepted, queued, acknowledged, ...), as JSON',
  usage: ['status --as PARTNER [--json] [--gateway URL] MESSAGE_ID'],
  description: ['Prints the gateway\'s answer for the message, as JSON (with or without --json). Only the sender and the recipient may ask.'],
  options: { as: COMMON.as(), json: COMMON.json('the status (the output is JSON either way)'), gateway: COMMON.gateway },
  positionals: { name: 'MESSAGE_ID (the messageId printed by send)', min: 1, max: 1 },
  examples: ['passerelle status --as ofii-paris "$(passerelle send --as ofii-paris schemas/examples/orientation.v1.json | jq -r .messageId)"'],
};

export const STATS: CommandSpec = {
  name: 'stats',
  summary: "the steering committee's statistics, as the gateway publishes them (disclosure-controlled)",
  usage: ['stats --as PARTNER [--format text|csv|json] [--json] [--gateway URL]'],
  description: [
    'PARTNER has the statistics or the auditor role. Text prints one grid per figure; a suppressed cell stays suppressed.',
    'The annual execution report, on the gateway host: stats annual-report --year YEAR --out FILE.html [--pdf FILE.pdf] (see its --help).',
  ],
  options: {
    as: COMMON.as('PARTNER', 'a partner with the statistics or the auditor role (prefecture-paris or auditor in certs.example)'),
    format: { type: 'string', value: 'F', default: 'text', help: 'text (grids), csv or json' },
    json: COMMON.json('the report (the same as --format json)'),
    gateway: COMMON.gateway,
  },
  examples: ['passerelle stats --as prefecture-paris', 'passerelle stats --as auditor --format csv > stats.csv'],
};

export const STATS_ANNUAL_REPORT: CommandSpec = {
  name: 'stats annual-report',
  summary: "the steering committee's annual execution report: volumes, efficacy tables and charts (HTML, and PDF)",
  usage: ['stats annual-report --year YEAR --out FILE.html [--pdf FILE.pdf]'],
  description: [
    'Runs on the gateway host, with its PASSERELLE_DATA_DIR, store (PASSERELLE_DATABASE_URL or SQLite) and',
    'trust directory (partner names). Counts the messages accepted through December of YEAR; the situations at',
    '6 and 12 months are read on 31 December of YEAR (today while the year runs). Only figures that passed',
    'disclosure control are written: a withheld count reads "secret statistique" and is never drawn. The HTML is',
    'self-contained (no external resource, print style sheet); the PDF has the same tables, without the charts.',
  ],
  options: {
    year: { type: 'string', value: 'YEAR', help: 'the year of the report, e.g. 2026' },
    out: { type: 'string', value: 'FILE', help: 'the HTML report to write (replaced whole)' },
    pdf: { type: 'string', value: 'FILE', help: 'also write the report as a PDF' },
  },
  examples: ['passerelle stats annual-report --year 2026 --out rapport-2026.html --pdf rapport-2026.pdf'],
};

export const CONSUME: CommandSpec = {
  name: 'consume',
  summary: "read PARTNER's queue, verify each sender's signature, write each document, then acknowledge it",
  usage: ['consume --as PARTNER [--out DIR] [--follow] [--idle-exit SECONDS]'],
  description: [
    'Connects to RabbitMQ (PASSERELLE_AMQP_URL) as the gateway would deliver to PARTNER, decrypts each message',
    "with PARTNER's key and verifies the original sender's signature. Each document goes to DIR/<messageId>.json",
    '(or stdout, one per line) before the message is acknowledged; a message id seen before is acknowledged and',
    'skipped. A message that does not verify goes back to the queue (then to the dead-letter queue). Progress',
    'lines and the summary go to stderr. Exit code 3 when some messages were refused.',
  ],
  options: {
    as: COMMON.as('PARTNER', 'the receiving partner (an agency, or ofii-paris for acknowledgements)'),
    out: { type: 'string', value: 'DIR', help: 'write each document to DIR/<messageId>.json (and remember it there) instead of stdout' },
    follow: { type: 'boolean', default: false, help: 'keep reading until Ctrl-C or SIGTERM' },
    'idle-exit': { type: 'string', value: 'SECONDS', default: '2', help: 'without --follow, stop after this long without a message' },
  },
  examples: ['passerelle consume --as mission-locale-paris --out inbox'],
};

export const SECRETS_STATUS: CommandSpec = {
  name: 'secrets status',
  summary: 'what depends on each secret; deletes the retired secrets nothing needs any more',
  usage: ['secrets status [--json]'],
  description: [ON_HOST_SECRETS, 'Prints ids and counts (data keys per key-encryption key, rows per pseudonym secret), never a secret.'],
  options: { json: COMMON.json('the status: {kek: {current, keys, forgotten}, pseudonym: {current, rows, forgotten}}') },
};

export const SECRETS_ROTATE_KEK: CommandSpec = {
  name: 'secrets rotate-kek',
  summary: 'a new dossier key-encryption key; every data key is wrapped again',
  usage: ['secrets rotate-kek'],
  description: [ON_HOST_SECRETS, 'The gateway may keep running. Copy PASSERELLE_DATA_DIR/secrets to every other gateway on the same store afterwards.'],
  options: {},
};

export const SECRETS_ROTATE_PSEUDONYM: CommandSpec = {
  name: 'secrets rotate-pseudonym-secret',
  summary: "a new pseudonym secret; a person's rows move to it when the gateway next sees them",
  usage: ['secrets rotate-pseudonym-secret'],
  description: [ON_HOST_SECRETS, 'The gateway may keep running. Copy PASSERELLE_DATA_DIR/secrets to every other gateway on the same store afterwards.'],
  options: {},
};

export const ERASE: CommandSpec = {
  name: 'erase',
  summary: "erase one person: crypto-shredding of the dossier, withdrawal notices to the agencies; prints counts only",
  usage: ['erase --beneficiary-ref REF --reason CODE [--json]'],
  description: [ON_HOST_DOSSIERS, 'Erasing a reference the gateway does not hold changes nothing and exits 0.'],
  options: {
    'beneficiary-ref': { type: 'string', value: 'REF', help: "the person's 10-digit OFII reference" },
    reason: { type: 'string', value: 'CODE', help: 'why (kept in the audit entry), a code of lower-case letters, digits and dashes, never free text (it goes into the audit log), e.g. art17-request' },
    json: COMMON.json('the report: {erased, documents, notices, auditIndex, notified, held} (counts and partner ids only)'),
  },
};

export const ACCESS_REPORT: CommandSpec = {
  name: 'access-report',
  summary: "the person's access report (RGPD art. 15): every disclosure about them, with its log proof, as HTML, PDF and JSON",
  usage: ['access-report --ref REF --out DIR [--json]'],
  description: [
    ON_HOST_DOSSIERS.replace('; the notices it queues leave through the running gateway', ''),
    'Writes DIR/rapport-acces.html, DIR/rapport-acces.pdf and DIR/rapport-acces.json, mode 0600: they hold the',
    "person's reference, so hand them to the person only (docs/operator.md). Each line of the report is an audit",
    'entry with its inclusion proof against one signed checkpoint; when the newest lines are after the latest',
    'checkpoint, one is signed now (as the gateway does). A reference the gateway holds nothing about (never seen,',
    'or erased) gives a report that says so, and exits 0. Prints counts and the checkpoint, never the person.',
    'Anyone checks the report with: passerelle access-report verify FILE [--gateway-key FILE] [--export AUDIT.json] [--json]',
  ],
  options: {
    ref: { type: 'string', value: 'REF', help: "the person's 10-digit OFII reference (header.beneficiaryRef)" },
    out: { type: 'string', value: 'DIR', help: 'the folder to write the three files to (created, mode 0700)' },
    json: COMMON.json('{out, files, held, disclosures, lookups, checkpoint, signedCheckpoint, uncovered} (counts, never the person)'),
  },
};

export const ACCESS_REPORT_VERIFY: CommandSpec = {
  name: 'access-report verify',
  summary: "check an access report's JSON annex: the checkpoint's signature, every line's entry and inclusion proof",
  usage: ['access-report verify FILE [--gateway-key FILE] [--export AUDIT.json] [--json]'],
  description: [
    "Offline, with the gateway's public key only. Checks the checkpoint's signature, then for every line: its log",
    'entry (canonical JSON) hashes to its leaf hash, its audit path leads to the signed root (RFC 9162), and what the',
    'line says (time, organisation) is what the entry says. Says which line fails, and exits 1 on any failure.',
    'With --export (the auditor\'s "passerelle audit export", verified first): also that the report leaves out no',
    "disclosure or lookup of the export about the same person (the pseudonym of the report's entries).",
  ],
  options: {
    'gateway-key': GATEWAY_KEY,
    export: { type: 'string', value: 'AUDIT.json', help: 'an audit export: check that the report is complete against it' },
    json: COMMON.json('{checkpoint, lines, failed: [{line, index, failure}], uncovered, missing, verified}'),
  },
  positionals: { name: 'FILE (the rapport-acces.json of the report)', min: 1, max: 1 },
};

export const LIFT_TOMBSTONE: CommandSpec = {
  name: 'lift-tombstone',
  summary: 're-admit a person erased or opted out by mistake: their tombstone goes, audited; prints counts only',
  usage: ['lift-tombstone --beneficiary-ref REF --reason CODE [--json]'],
  description: [
    ON_HOST_DOSSIERS,
    'Later messages about the person are accepted again (a new subject). The withdrawal notices already sent stand; a withdrawal of health consent (RETRAIT_ACCORD_SANTE) is not a tombstone and stays. A reference without a tombstone changes nothing and exits 0.',
  ],
  options: {
    'beneficiary-ref': { type: 'string', value: 'REF', help: "the person's 10-digit OFII reference" },
    reason: { type: 'string', value: 'CODE', help: 'why (kept in the audit entry), a code of lower-case letters, digits and dashes, never free text, e.g. erased-by-mistake' },
    json: COMMON.json('the report: {lifted, auditIndex}'),
  },
};

export const RETENTION_RUN: CommandSpec = {
  name: 'retention run',
  summary: 'run the retention sweep now: expiry of unanswered orientations, destruction of dossiers',
  usage: ['retention run [--json]'],
  description: [ON_HOST_DOSSIERS, 'The gateway runs the same sweep periodically (PASSERELLE_RETENTION_SWEEP_MINUTES); this runs one now.'],
  options: { json: COMMON.json('the summary: counts of expired orientations, notices, destroyed dossiers and documents') },
};

export const PKI_INIT: CommandSpec = {
  name: 'pki init',
  summary: 'generate an example trust directory (CA, gateway and partner certificates and OpenPGP keys, partners.json)',
  usage: ['pki init [--dir DIR] [--overwrite]'],
  description: ['Example keys only: never use them in production. certs.example/ is already one; this makes another.'],
  options: {
    dir: { type: 'string', value: 'DIR', default: 'certs.example', help: 'where to write it' },
    overwrite: { type: 'boolean', default: false, help: 'replace the files already in DIR' },
  },
  examples: ['passerelle pki init --dir /tmp/trust'],
};

export const PKI_ROTATE: CommandSpec = {
  name: 'pki rotate-gateway-key',
  summary: 'add a new gateway OpenPGP key beside the current ones; it signs from the next reload',
  usage: ['pki rotate-gateway-key --dir DIR [--validity-days N]'],
  description: [
    'The previous keys stay: they still decrypt, and verify earlier receipts and checkpoints. A running gateway',
    'signs with the new key once it reloads its keys (at once through its file watch, or on SIGHUP).',
  ],
  options: {
    dir: { type: 'string', value: 'DIR', help: 'the trust directory (PASSERELLE_CERTS_DIR of the gateway)' },
    'validity-days': { type: 'string', value: 'N', help: 'how long the new key is valid, in days (1 or more)' },
  },
};

export const SERVE: CommandSpec = {
  name: 'serve',
  summary: 'run the gateway (HTTPS API with mutual TLS, delivery to RabbitMQ) until SIGTERM or SIGINT',
  usage: ['serve'],
  description: [
    'Configured by the environment only (the PASSERELLE_* settings of "passerelle help"). SIGTERM or SIGINT',
    'finishes the requests in flight and exits 0; SIGHUP re-reads crl.pem and the OpenPGP keys. Logs are JSON',
    'lines on stdout. "npm start" builds and runs this.',
  ],
  options: {},
  examples: ['PASSERELLE_PORT=8443 passerelle serve'],
};

export const DEMO: CommandSpec = {
  name: 'demo',
  summary: 'run the main job end to end on the embedded defaults (its own gateway, SQLite store and queues)',
  usage: ['demo'],
  description: [
    'Starts a gateway on a free port with a temporary data folder and the queues PASSERELLE_AMQP_PREFIX-demo.*',
    'on the local RabbitMQ; OFII orients a person to Mission Locale, which reads and acknowledges; OFII reads the',
    'acknowledgement. Needs RabbitMQ (PASSERELLE_AMQP_URL) and nothing else. Deletes its folder and queues at the',
    'end, on failure and on Ctrl-C (exit code 130).',
  ],
  options: {},
  examples: ['passerelle demo'],
};

export const BROKER_SETUP: CommandSpec = {
  name: 'broker setup',
  summary: "create or update the RabbitMQ accounts of the gateway and of each receiving partner (least privilege, limits)",
  usage: ['broker setup [--passwords DIR] [--definitions-out FILE] [--client-certificates] [--dry-run] [--json] [--vhost V] [--rabbitmqctl PATH]'],
  description: [
    "On the broker's host (rabbitmqctl, as root or the rabbitmq user). At least one of --passwords,",
    '--definitions-out and --dry-run. Accounts of partners removed from the registry are deleted. Passwords are',
    'read from (or generated into, mode 0600) DIR/<user>.password and never appear on a command line; with',
    '--client-certificates agencies have no password and log in with their certificate (EXTERNAL).',
    'A second run changes nothing and says so.',
  ],
  options: {
    passwords: { type: 'string', value: 'DIR', help: 'apply the accounts to the broker, with the passwords of DIR' },
    'definitions-out': { type: 'string', value: 'FILE', help: 'also write the accounts as a RabbitMQ definitions file (no passwords)' },
    'client-certificates': { type: 'boolean', default: false, help: 'agencies log in with a client certificate: their accounts get no password' },
    'dry-run': { type: 'boolean', default: false, help: 'read the broker and say what a run would change; change nothing, write nothing' },
    json: COMMON.json('{dryRun, vhost, actions: [the lines a person would read]}'),
    vhost: { type: 'string', value: 'V', help: 'the virtual host (default: the one of PASSERELLE_AMQP_URL)' },
    rabbitmqctl: { type: 'string', value: 'PATH', help: 'the rabbitmqctl to run (default rabbitmqctl on PATH)' },
  },
  examples: ['passerelle broker setup --definitions-out /tmp/definitions.json', 'sudo passerelle broker setup --dry-run'],
};

export const AUDIT_EXPORT: CommandSpec = {
  name: 'audit export',
  summary: 'save the latest checkpoint and every entry it covers to a file (auditor)',
  usage: ['audit export [--as ID] --out FILE [--gateway-key FILE] [--json] [--gateway URL]'],
  description: ["The checkpoint's signature is verified before the file is written. A progress bar shows the entries received on a terminal."],
  options: { as: { ...AS_AUDITOR, default: 'auditor' }, out: { type: 'string', value: 'FILE', help: 'the export file (written whole, or not at all)' }, 'gateway-key': GATEWAY_KEY, json: COMMON.json('{out, entries, treeSize, rootHash}'), gateway: COMMON.gateway },
  examples: ['passerelle audit export --out audit.json'],
};

export const AUDIT_VERIFY: CommandSpec = {
  name: 'audit verify',
  summary: "check an export offline (--export) or the gateway's log (--live): checkpoint signature, every entry, the root",
  usage: ['audit verify --export FILE [--gateway-key FILE] [--json]', 'audit verify --live [--as ID] [--state FILE] [--gateway-key FILE] [--json] [--gateway URL]'],
  description: [
    "--export: the checkpoint's signature by the gateway key, then every entry (at its index, hashing to its leaf",
    'hash, all together to the signed root); a failure names the first bad index and exits 1.',
    '--live: the same against the gateway, plus a consistency proof from the checkpoint verified last time (kept',
    'in the state file): the log only grew. A progress bar shows the entries checked on a terminal.',
  ],
  options: {
    export: { type: 'string', value: 'FILE', help: 'an export made by "passerelle audit export"' },
    live: { type: 'boolean', default: false, help: "verify the gateway's log now (auditor)" },
    as: { ...AS_AUDITOR, default: 'auditor' },
    state: { type: 'string', value: 'FILE', help: 'where --live keeps the checkpoint it verified (default PASSERELLE_DATA_DIR/audit/<ID>.last-checkpoint.json)' },
    'gateway-key': GATEWAY_KEY,
    json: COMMON.json('{treeSize, rootHash, timestamp, events, cosigners, consistency}'),
    gateway: COMMON.gateway,
  },
  examples: ['passerelle audit verify --export audit.json', 'passerelle audit verify --live'],
};

export const AUDIT_CHECKPOINT: CommandSpec = {
  name: 'audit checkpoint',
  summary: 'ask the gateway for a checkpoint of the log as it is now (auditor), verify and print it',
  usage: ['audit checkpoint [--as ID] [--gateway-key FILE] [--json] [--gateway URL]'],
  description: ['The gateway also signs one every PASSERELLE_CHECKPOINT_INTERVAL_SECONDS when the log grew. The checkpoint is printed as JSON (with or without --json).'],
  options: { as: { ...AS_AUDITOR, default: 'auditor' }, 'gateway-key': GATEWAY_KEY, json: COMMON.json('the signed checkpoint with its cosignatures (the output is JSON either way)'), gateway: COMMON.gateway },
  examples: ['passerelle audit checkpoint'],
};

export const AUDIT_PROVE: CommandSpec = {
  name: 'audit prove',
  summary: "check one entry's inclusion proof against the latest checkpoint",
  usage: ['audit prove --index N [--as PARTNER] [--gateway-key FILE] [--json] [--gateway URL]'],
  description: [
    'Entries are numbered from 0. As the auditor, an entry newer than the latest checkpoint gets a new checkpoint',
    'first; an agency sees only the entries that name it, and waits for the next periodic checkpoint.',
  ],
  options: {
    index: { type: 'string', value: 'N', help: 'the entry, from 0 to the log size - 1 (the audit index of a receipt)' },
    as: COMMON.as('PARTNER', 'who asks: the auditor (default) sees every entry, a partner the entries that name it'),
    'gateway-key': GATEWAY_KEY,
    json: COMMON.json('{entry, checkpoint: {treeSize, rootHash, timestamp}, inclusion: "verified"}'),
    gateway: COMMON.gateway,
  },
  examples: ['passerelle audit prove --index 0'],
};

const str = (parsed: ParsedCommand, name: string): string | undefined => {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
};
const flag = (parsed: ParsedCommand, name: string): boolean => parsed.values[name] === true;
const settings = async (): Promise<Settings> => (await import('../config/settings.js')).loadSettings();

export const COMMANDS: readonly Command[] = [
  { spec: SERVE, run: async () => (await import('./serve.js')).runServe(await settings()) },
  { spec: DEMO, run: async () => (await import('./demo.js')).runDemo(await settings()) },
  {
    spec: SEND,
    run: async (p) => {
      const as = required(SEND, p, 'as');
      return (await import('./send.js')).runSend({ settings: await settings(), as, files: p.positionals, gateway: str(p, 'gateway'), keepHeader: flag(p, 'keep-header'), json: flag(p, 'json') });
    },
  },
  {
    spec: STATUS,
    run: async (p) => {
      const as = required(STATUS, p, 'as');
      return (await import('./send.js')).runStatus({ settings: await settings(), as, messageId: p.positionals[0]!, gateway: str(p, 'gateway') });
    },
  },
  {
    spec: CONSUME,
    run: async (p) => {
      const as = required(CONSUME, p, 'as');
      const idle = decimalNumber(CONSUME, p, 'idle-exit') ?? 2;
      return (await import('./consume.js')).runConsume({ settings: await settings(), as, out: str(p, 'out'), follow: flag(p, 'follow'), idleExitMs: idle * 1000 });
    },
  },
  {
    spec: STATS,
    run: async (p) => {
      const as = required(STATS, p, 'as');
      const format = flag(p, 'json') ? 'json' : oneOf(STATS, p, 'format', ['text', 'csv', 'json'] as const);
      return (await import('./stats.js')).runStats({ settings: await settings(), as, format, gateway: str(p, 'gateway') });
    },
  },
  {
    spec: STATS_ANNUAL_REPORT,
    run: async (p) => {
      const year = wholeNumber(STATS_ANNUAL_REPORT, p, 'year', { min: 2000 });
      if (year === undefined) throw usageError(STATS_ANNUAL_REPORT, 'give the year of the report with --year, e.g. --year 2026.');
      const out = required(STATS_ANNUAL_REPORT, p, 'out');
      return (await import('./annual-report.js')).runAnnualReport({ settings: await settings(), year, out, pdf: str(p, 'pdf') });
    },
  },
  ...[AUDIT_EXPORT, AUDIT_VERIFY, AUDIT_CHECKPOINT, AUDIT_PROVE].map(
    (spec): Command => ({ spec, run: async (parsed) => (await import('./audit.js')).runAudit({ settings: await settings(), spec, parsed }) }),
  ),
  {
    spec: ERASE,
    run: async (p) => {
      const beneficiaryRef = required(ERASE, p, 'beneficiary-ref');
      const reason = required(ERASE, p, 'reason');
      return (await import('./dossier-admin.js')).runErase({ settings: await settings(), beneficiaryRef, reason, json: flag(p, 'json') });
    },
  },
  {
    spec: ACCESS_REPORT,
    run: async (p) => {
      const beneficiaryRef = required(ACCESS_REPORT, p, 'ref');
      const out = required(ACCESS_REPORT, p, 'out');
      return (await import('./access-report.js')).runAccessReport({ settings: await settings(), beneficiaryRef, out, json: flag(p, 'json') });
    },
  },
  {
    spec: ACCESS_REPORT_VERIFY,
    run: async (p) => (await import('./access-report.js')).runAccessReportVerify({ settings: await settings(), file: p.positionals[0]!, gatewayKeyFile: str(p, 'gateway-key'), exportFile: str(p, 'export'), json: flag(p, 'json') }),
  },
  {
    spec: LIFT_TOMBSTONE,
    run: async (p) => {
      const beneficiaryRef = required(LIFT_TOMBSTONE, p, 'beneficiary-ref');
      const reason = required(LIFT_TOMBSTONE, p, 'reason');
      return (await import('./dossier-admin.js')).runLiftTombstone({ settings: await settings(), beneficiaryRef, reason, json: flag(p, 'json') });
    },
  },
  { spec: RETENTION_RUN, run: async (p) => (await import('./dossier-admin.js')).runRetentionSweep({ settings: await settings(), json: flag(p, 'json') }) },
  { spec: SECRETS_STATUS, run: async (p) => (await import('./secrets.js')).runSecrets({ settings: await settings(), command: 'status', json: flag(p, 'json') }) },
  { spec: SECRETS_ROTATE_KEK, run: async () => (await import('./secrets.js')).runSecrets({ settings: await settings(), command: 'rotate-kek' }) },
  { spec: SECRETS_ROTATE_PSEUDONYM, run: async () => (await import('./secrets.js')).runSecrets({ settings: await settings(), command: 'rotate-pseudonym-secret' }) },
  {
    spec: BROKER_SETUP,
    run: async (p) => {
      if (str(p, 'passwords') === undefined && str(p, 'definitions-out') === undefined && !flag(p, 'dry-run')) {
        throw usageError(BROKER_SETUP, 'nothing to do: give --passwords DIR (apply), --definitions-out FILE (write the definitions) or --dry-run (say what would change).');
      }
      const passwordsDir = str(p, 'passwords');
      const definitionsOut = str(p, 'definitions-out');
      const vhost = str(p, 'vhost');
      const rabbitmqctl = str(p, 'rabbitmqctl');
      return (await import('./broker.js')).runBrokerSetup({
        settings: await settings(),
        clientCertificates: flag(p, 'client-certificates'),
        dryRun: flag(p, 'dry-run'),
        json: flag(p, 'json'),
        ...(passwordsDir !== undefined ? { passwordsDir } : {}),
        ...(definitionsOut !== undefined ? { definitionsOut } : {}),
        ...(vhost !== undefined ? { vhost } : {}),
        ...(rabbitmqctl !== undefined ? { rabbitmqctl } : {}),
      });
    },
  },
  { spec: PKI_INIT, run: async (p) => (await import('./pki.js')).runPkiInit({ dir: str(p, 'dir') ?? 'certs.example', overwrite: flag(p, 'overwrite') }) },
  {
    spec: PKI_ROTATE,
    run: async (p) => {
      const dir = required(PKI_ROTATE, p, 'dir');
      const validityDays = wholeNumber(PKI_ROTATE, p, 'validity-days', { min: 1 });
      return (await import('./pki.js')).runRotateGatewayKey({ dir, validityDays });
    },
  },
];

/** The first words of the commands that have subcommands: "audit", "pki", ... */
export const GROUPS: ReadonlyMap<string, readonly Command[]> = (() => {
  const groups = new Map<string, Command[]>();
  for (const command of COMMANDS) {
    const [group, sub] = command.spec.name.split(' ');
    if (sub !== undefined) groups.set(group!, [...(groups.get(group!) ?? []), command]);
  }
  return groups;
})();
