/**
 * `passerelle`: the command line for partners and operators. Each command prints for a person; a
 * failure is one line saying what went wrong and what to do, and a non-zero exit code.
 */
import { parseArgs } from 'node:util';
import { GatewayError } from '../domain/errors.js';
import { loadSettings } from '../config/settings.js';
import { runAudit } from './audit.js';
import { runBrokerSetup } from './broker.js';
import { runConsume } from './consume.js';
import { runDemo } from './demo.js';
import { runErase, runRetentionSweep } from './dossier-admin.js';
import { runPkiInit, runRotateGatewayKey } from './pki.js';
import { runSecrets } from './secrets.js';
import { runSend, runStatus } from './send.js';
import { runServe } from './serve.js';
import { runStats } from './stats.js';
import { HELP } from './help.js';

/** A command line that names no command, or a command without its required options (exit code 64). */
function usage(detail: string): GatewayError {
  return new GatewayError('usage_invalid', detail);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(loadSettings());
    case 'pki': {
      const [sub, ...args] = rest;
      if (sub === 'rotate-gateway-key') {
        const { values } = parseArgs({ args, options: { dir: { type: 'string' }, 'validity-days': { type: 'string' } } });
        if (!values.dir) throw usage('usage: passerelle pki rotate-gateway-key --dir <trust directory> [--validity-days N]');
        const days = values['validity-days'] === undefined ? undefined : Number(values['validity-days']);
        if (days !== undefined && !(Number.isInteger(days) && days >= 1)) throw usage('--validity-days takes a whole number of days (1 or more)');
        return runRotateGatewayKey({ dir: values.dir, validityDays: days });
      }
      if (sub !== 'init') throw usage(`unknown command "pki ${sub ?? ''}". Did you mean "passerelle pki init" or "passerelle pki rotate-gateway-key"?`);
      const { values } = parseArgs({ args, options: { dir: { type: 'string', default: 'certs.example' }, overwrite: { type: 'boolean', default: false } } });
      return runPkiInit({ dir: values.dir, overwrite: values.overwrite });
    }
    case 'send': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { as: { type: 'string' }, gateway: { type: 'string' } } });
      if (!values.as || positionals.length !== 1) throw usage('usage: passerelle send --as <partner> <document.json>');
      return runSend({ settings: loadSettings(), as: values.as, file: positionals[0]!, gateway: values.gateway });
    }
    case 'status': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { as: { type: 'string' }, gateway: { type: 'string' } } });
      if (!values.as || positionals.length !== 1) throw usage('usage: passerelle status --as <partner> <messageId>');
      return runStatus({ settings: loadSettings(), as: values.as, messageId: positionals[0]!, gateway: values.gateway });
    }
    case 'consume': {
      const { values } = parseArgs({
        args: rest,
        options: { as: { type: 'string' }, out: { type: 'string' }, follow: { type: 'boolean', default: false }, 'idle-exit': { type: 'string', default: '2' } },
      });
      if (!values.as) throw usage('usage: passerelle consume --as <partner> [--out <folder>] [--follow] [--idle-exit <seconds>]');
      const idle = Number(values['idle-exit']);
      if (!Number.isFinite(idle) || idle < 0) throw usage('--idle-exit takes a number of seconds');
      return runConsume({ settings: loadSettings(), as: values.as, out: values.out, follow: values.follow, idleExitMs: idle * 1000 });
    }
    case 'stats': {
      const { values } = parseArgs({ args: rest, options: { as: { type: 'string' }, format: { type: 'string', default: 'text' }, gateway: { type: 'string' } } });
      if (!values.as || !['text', 'csv', 'json'].includes(values.format)) throw usage('usage: passerelle stats --as <partner> [--format text|csv|json]');
      return runStats({ settings: loadSettings(), as: values.as, format: values.format as 'text' | 'csv' | 'json', gateway: values.gateway });
    }
    case 'demo':
      return runDemo(loadSettings());
    case 'erase': {
      const { values } = parseArgs({ args: rest, options: { 'beneficiary-ref': { type: 'string' }, reason: { type: 'string' } } });
      if (!values['beneficiary-ref'] || !values.reason) throw usage('usage: passerelle erase --beneficiary-ref <10-digit reference> --reason <code>');
      return runErase({ settings: loadSettings(), beneficiaryRef: values['beneficiary-ref'], reason: values.reason });
    }
    case 'secrets': {
      const [sub] = rest;
      if (rest.length !== 1 || !['status', 'rotate-kek', 'rotate-pseudonym-secret'].includes(sub!)) throw usage('usage: passerelle secrets status | rotate-kek | rotate-pseudonym-secret');
      return runSecrets({ settings: loadSettings(), command: sub as 'status' | 'rotate-kek' | 'rotate-pseudonym-secret' });
    }
    case 'retention': {
      if (rest.length !== 1 || rest[0] !== 'run') throw usage('usage: passerelle retention run');
      return runRetentionSweep({ settings: loadSettings() });
    }
    case 'audit':
      return runAudit({ settings: loadSettings(), args: rest });
    case 'broker': {
      const [sub, ...args] = rest;
      if (sub !== 'setup') throw usage(`unknown command "broker ${sub ?? ''}". Did you mean "passerelle broker setup"?`);
      const { values } = parseArgs({
        args,
        options: { passwords: { type: 'string' }, 'definitions-out': { type: 'string' }, vhost: { type: 'string' }, rabbitmqctl: { type: 'string' }, 'client-certificates': { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false } },
      });
      if (values.passwords === undefined && values['definitions-out'] === undefined && !values['dry-run']) {
        throw usage('usage: passerelle broker setup [--passwords DIR] [--definitions-out FILE] [--client-certificates] [--dry-run] [--vhost V] [--rabbitmqctl PATH] (at least one of --passwords, --definitions-out and --dry-run)');
      }
      return runBrokerSetup({
        settings: loadSettings(),
        clientCertificates: values['client-certificates'],
        dryRun: values['dry-run'],
        ...(values.passwords !== undefined ? { passwordsDir: values.passwords } : {}),
        ...(values['definitions-out'] !== undefined ? { definitionsOut: values['definitions-out'] } : {}),
        ...(values.vhost !== undefined ? { vhost: values.vhost } : {}),
        ...(values.rabbitmqctl !== undefined ? { rabbitmqctl: values.rabbitmqctl } : {}),
      });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      throw usage(`unknown command "${command}". Run "passerelle help" for the list of commands.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof GatewayError) {
      process.stderr.write(`passerelle: ${err.message}\n`);
      // sysexits.h: EX_USAGE for a wrong command line, 1 for a failure of the command itself.
      process.exitCode = err.code === 'usage_invalid' ? 64 : 1;
      return;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`passerelle: ${(err as Error).message}. Run "passerelle help".\n`);
      process.exitCode = 64;
      return;
    }
    process.stderr.write(`passerelle: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
