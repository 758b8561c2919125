/**
 * The command line for people, run as a person runs it (bin/passerelle.js as a child process): every
 * command and subcommand answers --help with its usage and exit code 0, the version is known, and a
 * wrong command line says what was wrong, then the usage, with exit code 2 (never Node's parser error).
 */
import { expect } from 'chai';
import { COMMANDS, GROUPS } from '../../src/cli/commands.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runCli, type CliResult } from '../fixtures/cli.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS };

/** Runs the command lines two at a time (the machine is shared): one process each. */
async function runAll(lines: string[][]): Promise<CliResult[]> {
  const results: CliResult[] = new Array(lines.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < lines.length; i = next++) results[i] = await runCli(lines[i]!, env);
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** Node's own parseArgs wording, which a person must never see. */
const RAW_PARSER = /To specify a positional argument|ERR_PARSE_ARGS|Unknown option '/;

describe('cli: --help, --version and usage errors', function () {
  this.timeout(180_000);

  it('every command and subcommand answers --help (and -h) with its usage on stdout and exit code 0', async () => {
    const lines = COMMANDS.map((c) => [...c.spec.name.split(' '), '--help']);
    lines.push(['send', '-h'], ['audit', 'prove', '-h']);
    const results = await runAll(lines);
    results.forEach((result, i) => {
      const name = lines[i]!.slice(0, -1).join(' ');
      expect(result.code, `${name}: ${result.stderr}`).to.equal(0);
      expect(result.stdout, name).to.match(new RegExp(`^usage: passerelle ${name}\\b`));
      expect(result.stdout, name).to.include('Options:').and.include('--help');
      expect(result.stderr, name).to.equal('');
    });
  });

  it('each group of subcommands answers --help with its list, and "help COMMAND" prints the help of COMMAND', async () => {
    const groups = [...GROUPS.keys()];
    const results = await runAll([...groups.map((g) => [g, '--help']), ['help', 'audit', 'prove'], ['help']]);
    groups.forEach((group, i) => {
      expect(results[i]!.code, group).to.equal(0);
      for (const command of GROUPS.get(group)!) expect(results[i]!.stdout, group).to.include(command.spec.usage[0]);
    });
    expect(results[groups.length]!.stdout).to.match(/^usage: passerelle audit prove --index N/);
    const main = results[groups.length + 1]!;
    expect(main.code).to.equal(0);
    for (const command of COMMANDS) expect(main.stdout).to.include(command.spec.usage[0]);
    expect(main.stdout).to.include('Exit codes:').and.include('PASSERELLE_AMQP_URL');
  });

  it('--version, -V and version print the version of package.json', async () => {
    const results = await runAll([['--version'], ['-V'], ['version']]);
    for (const result of results) {
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^passerelle \d+\.\d+\.\d+\n$/);
    }
  });

  const wrong: Array<{ line: string[]; says: string; usage: string }> = [
    { line: ['audit', 'prove', '--index', 'abc'], says: '--index must be a whole number (got "abc")', usage: 'usage: passerelle audit prove --index N' },
    { line: ['audit', 'prove', '--index', '-1'], says: '--index needs a value', usage: 'usage: passerelle audit prove' },
    { line: ['audit', 'prove'], says: '--index is required', usage: 'usage: passerelle audit prove' },
    { line: ['audit', 'verify'], says: 'give either --export FILE', usage: 'passerelle audit verify --export FILE' },
    { line: ['send', 'x.json'], says: '--as is required', usage: 'usage: passerelle send --as PARTNER' },
    { line: ['send', '--as', 'ofii-paris'], says: 'missing FILE.json', usage: 'usage: passerelle send' },
    { line: ['send', '--as'], says: '--as needs a value', usage: 'usage: passerelle send' },
    { line: ['status', '--as', 'ofii-paris', 'a', 'b'], says: 'unexpected argument "b"', usage: 'usage: passerelle status' },
    { line: ['consume', '--as', 'ofii-paris', '--idle-exit', 'soon'], says: '--idle-exit must be a number of seconds', usage: 'usage: passerelle consume' },
    { line: ['consume', '--bogus'], says: 'unknown option --bogus', usage: 'usage: passerelle consume' },
    { line: ['stats', '--as', 'auditor', '--format', 'xml'], says: '--format must be one of text, csv, json (got "xml")', usage: 'usage: passerelle stats' },
    { line: ['pki', 'rotate-gateway-key', '--dir', '/tmp/x', '--validity-days', '0'], says: '--validity-days must be between 1 and', usage: 'usage: passerelle pki rotate-gateway-key' },
    { line: ['retention', 'run', 'now'], says: 'unexpected argument "now"', usage: 'usage: passerelle retention run' },
    { line: ['secrets', 'status', '--json=yes'], says: '--json takes no value', usage: 'usage: passerelle secrets status' },
    { line: ['broker', 'setup'], says: 'nothing to do', usage: 'usage: passerelle broker setup' },
    { line: ['audit'], says: '"passerelle audit" needs a command', usage: 'usage: passerelle audit export | verify' },
    { line: ['audit', 'provee'], says: 'unknown command "audit provee"', usage: '"passerelle audit prove"' },
    { line: ['sned'], says: 'unknown command "sned"', usage: 'passerelle help' },
  ];

  it('a wrong command line says what was wrong, then the usage, and exits 2', async () => {
    const results = await runAll(wrong.map((w) => w.line));
    results.forEach((result, i) => {
      const { line, says, usage } = wrong[i]!;
      const name = line.join(' ');
      expect(result.code, `${name}: ${result.stderr}`).to.equal(EXIT.usage);
      expect(result.stderr, name).to.match(/^passerelle: /).and.include(says).and.include(usage);
      expect(result.stderr.indexOf(says), `${name}: what was wrong comes first`).to.be.below(result.stderr.indexOf(usage) === -1 ? Infinity : Math.max(result.stderr.indexOf(usage), result.stderr.indexOf(says) + 1));
      expect(result.stderr, name).not.to.match(RAW_PARSER);
      expect(result.stdout, name).to.equal('');
    });
  });
});
