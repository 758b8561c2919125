/**
 * Every `passerelle` command: its declaration (command-line.ts) and what runs it once its command line
 * is parsed. The help, the dispatch and the tests all read this list.
 */
import { loadSettings } from '../config/settings.js';
import { AUDIT_COMMANDS, runAudit } from './audit.js';
import { BROKER_SETUP, runBrokerSetup } from './broker.js';
import { oneOf, required, usageError, decimalNumber, wholeNumber, type CommandSpec, type ParsedCommand } from './command-line.js';
import { CONSUME, runConsume } from './consume.js';
import { DEMO, runDemo } from './demo.js';
import { ERASE, RETENTION_RUN, runErase, runRetentionSweep } from './dossier-admin.js';
import { PKI_INIT, PKI_ROTATE, runPkiInit, runRotateGatewayKey } from './pki.js';
import { runSecrets, SECRETS_ROTATE_KEK, SECRETS_ROTATE_PSEUDONYM, SECRETS_STATUS } from './secrets.js';
import { runSend, runStatus, SEND, STATUS } from './send.js';
import { runServe, SERVE } from './serve.js';
import { runStats, STATS } from './stats.js';

export interface Command {
  spec: CommandSpec;
  run(parsed: ParsedCommand): Promise<number>;
}

const str = (parsed: ParsedCommand, name: string): string | undefined => {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
};
const flag = (parsed: ParsedCommand, name: string): boolean => parsed.values[name] === true;

export const COMMANDS: readonly Command[] = [
  { spec: SERVE, run: () => runServe(loadSettings()) },
  { spec: DEMO, run: () => runDemo(loadSettings()) },
  {
    spec: SEND,
    run: (p) => runSend({ settings: loadSettings(), as: required(SEND, p, 'as'), files: p.positionals, gateway: str(p, 'gateway'), keepHeader: flag(p, 'keep-header'), json: flag(p, 'json') }),
  },
  { spec: STATUS, run: (p) => runStatus({ settings: loadSettings(), as: required(STATUS, p, 'as'), messageId: p.positionals[0]!, gateway: str(p, 'gateway') }) },
  {
    spec: CONSUME,
    run: (p) => {
      const as = required(CONSUME, p, 'as');
      const idle = decimalNumber(CONSUME, p, 'idle-exit') ?? 2;
      return runConsume({ settings: loadSettings(), as, out: str(p, 'out'), follow: flag(p, 'follow'), idleExitMs: idle * 1000 });
    },
  },
  {
    spec: STATS,
    run: (p) => {
      const as = required(STATS, p, 'as');
      const format = flag(p, 'json') ? 'json' : oneOf(STATS, p, 'format', ['text', 'csv', 'json'] as const);
      return runStats({ settings: loadSettings(), as, format, gateway: str(p, 'gateway') });
    },
  },
  ...AUDIT_COMMANDS.map((spec): Command => ({ spec, run: (parsed) => runAudit({ settings: loadSettings(), spec, parsed }) })),
  {
    spec: ERASE,
    run: (p) =>
      runErase({ settings: loadSettings(), beneficiaryRef: required(ERASE, p, 'beneficiary-ref'), reason: required(ERASE, p, 'reason'), json: flag(p, 'json') }),
  },
  { spec: RETENTION_RUN, run: (p) => runRetentionSweep({ settings: loadSettings(), json: flag(p, 'json') }) },
  { spec: SECRETS_STATUS, run: (p) => runSecrets({ settings: loadSettings(), command: 'status', json: flag(p, 'json') }) },
  { spec: SECRETS_ROTATE_KEK, run: () => runSecrets({ settings: loadSettings(), command: 'rotate-kek' }) },
  { spec: SECRETS_ROTATE_PSEUDONYM, run: () => runSecrets({ settings: loadSettings(), command: 'rotate-pseudonym-secret' }) },
  {
    spec: BROKER_SETUP,
    run: (p) => {
      if (str(p, 'passwords') === undefined && str(p, 'definitions-out') === undefined && !flag(p, 'dry-run')) {
        throw usageError(BROKER_SETUP, 'nothing to do: give --passwords DIR (apply), --definitions-out FILE (write the definitions) or --dry-run (say what would change).');
      }
      const passwordsDir = str(p, 'passwords');
      const definitionsOut = str(p, 'definitions-out');
      const vhost = str(p, 'vhost');
      const rabbitmqctl = str(p, 'rabbitmqctl');
      return runBrokerSetup({
        settings: loadSettings(),
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
  { spec: PKI_INIT, run: (p) => runPkiInit({ dir: str(p, 'dir') ?? 'certs.example', overwrite: flag(p, 'overwrite') }) },
  {
    spec: PKI_ROTATE,
    run: (p) => runRotateGatewayKey({ dir: required(PKI_ROTATE, p, 'dir'), validityDays: wholeNumber(PKI_ROTATE, p, 'validity-days', { min: 1 }) }),
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
