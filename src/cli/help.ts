/**
 * `passerelle help`: the list of commands, the exit codes and the settings, all generated from their
 * declarations (commands.ts, exit-codes.ts, config/settings.ts) so that the help cannot drift.
 */
import fs from 'node:fs';
import { SETTINGS_DOC } from '../config/settings.js';
import type { Command } from './commands.js';
import { EXIT_CODES } from './exit-codes.js';

/** The version of package.json (src/cli and dist/cli are both two levels below it). */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function commandList(commands: readonly Command[]): string {
  return commands.map(({ spec }) => `  ${spec.usage.join('\n  ')}\n      ${spec.summary}`).join('\n');
}

export function mainHelp(commands: readonly Command[]): string {
  const settings = SETTINGS_DOC.map((s) => `  ${s.variable.padEnd(38)} ${s.default.padEnd(36)} ${s.meaning}`).join('\n');
  const exits = EXIT_CODES.map((e) => `  ${String(e.code).padStart(3)}  ${e.meaning.replace(/`/g, '"')}`).join('\n');
  return `passerelle ${version()}: secure exchange between OFII and the public employment service of Paris

Usage: passerelle COMMAND [OPTIONS]   (passerelle COMMAND --help for one command, passerelle --version)

Commands:
${commandList(commands)}
  help [COMMAND]
      this text, or the help of COMMAND

Exit codes:
${exits}

Settings (environment variables):
${settings}

More: docs/cli.md
`;
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  return `usage: passerelle ${group} ${commands.map((c) => c.spec.name.split(' ')[1]).join(' | ')} [OPTIONS]\n\nCommands:\n${commandList(commands)}\n\nRun "passerelle ${group} <command> --help" for its options.\n`;
}
