/**
 * `passerelle`: the command line for partners and operators. Each command prints for a person; a
 * failure is one line saying what went wrong and what to do, and an exit code of exit-codes.ts.
 */
import { GatewayError } from '../domain/errors.js';
import { helpText, parseCommand } from './command-line.js';
import { COMMANDS, GROUPS, type Command } from './commands.js';
import { EXIT } from './exit-codes.js';
import { groupHelp, mainHelp, version } from './help.js';

const isHelp = (word: string | undefined) => word === '--help' || word === '-h';

function unknown(what: string, hint: string): GatewayError {
  return new GatewayError('usage_invalid', `unknown command "${what}". ${hint}`);
}

/** The command that `words` name, and the arguments after its name. */
function find(words: readonly string[]): { command: Command; args: string[] } | { group: string; commands: readonly Command[]; sub: string | undefined } | undefined {
  const [first, second, ...rest] = words;
  const group = GROUPS.get(first ?? '');
  if (group) {
    const command = group.find((c) => c.spec.name === `${first} ${second}`);
    if (command) return { command, args: rest };
    // A command that is also a group (access-report and access-report verify, stats and stats annual-report): the words are its arguments.
    const itself = COMMANDS.find((c) => c.spec.name === first);
    return itself ? { command: itself, args: words.slice(1) } : { group: first!, commands: group, sub: second };
  }
  const command = COMMANDS.find((c) => c.spec.name === first);
  return command ? { command, args: words.slice(1) } : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  if (word === undefined || word === 'help' || isHelp(word)) {
    const found = word === 'help' && rest.length > 0 ? find(rest) : undefined;
    if (word === 'help' && rest.length > 0 && !found) throw unknown(rest.join(' '), 'Run "passerelle help" for the list of commands.');
    if (found && 'command' in found) process.stdout.write(helpText(found.command.spec));
    else if (found) process.stdout.write(groupHelp(found.group, found.commands));
    else process.stdout.write(mainHelp(COMMANDS));
    return EXIT.ok;
  }
  if (word === '--version' || word === '-V' || word === 'version') {
    process.stdout.write(`passerelle ${version()}\n`);
    return EXIT.ok;
  }
  const found = find(argv);
  if (!found) throw unknown(word, 'Run "passerelle help" for the list of commands.');
  if ('group' in found) {
    if (isHelp(found.sub)) {
      process.stdout.write(groupHelp(found.group, found.commands));
      return EXIT.ok;
    }
    const names = found.commands.map((c) => `"passerelle ${c.spec.name}"`).join(', ');
    if (found.sub === undefined) throw new GatewayError('usage_invalid', `"passerelle ${found.group}" needs a command: ${names}.\n${groupHelp(found.group, found.commands)}`);
    throw unknown(`${found.group} ${found.sub}`, `The ${found.group} commands are ${names}; add --help to one for its options.`);
  }
  const parsed = parseCommand(found.command.spec, found.args);
  if (!parsed) return EXIT.ok;
  return found.command.run(parsed);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof GatewayError) {
      process.stderr.write(`passerelle: ${err.message}\n`);
      process.exitCode = err.code === 'usage_invalid' ? EXIT.usage : EXIT.failure;
      return;
    }
    process.stderr.write(`passerelle: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.unexpected;
  },
);
