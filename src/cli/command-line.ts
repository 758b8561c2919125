/**
 * How every `passerelle` command reads its command line: one declaration per command (its usage, its
 * options with their help), from which come its `--help`, its parsing (node:util parseArgs) and its
 * usage errors. A usage error says what was wrong first, then the usage, and exits 2 (exit-codes.ts).
 */
import { parseArgs } from 'node:util';
import { GatewayError } from '../domain/errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help: FILE, N, URL. */
  value?: string;
  default?: string | boolean;
  multiple?: boolean;
  help: string;
}

export interface CommandSpec {
  /** As typed after `passerelle`: "send", "audit prove". */
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** The synopsis lines, without the leading "passerelle ". */
  usage: string[];
  /** What the command does, what it prints, when it fails; lines as printed. */
  description?: string[];
  options: Record<string, OptionSpec>;
  /** The positional arguments: their name in messages, and how many. */
  positionals?: { name: string; min: number; max: number };
  /** Command lines that work as written on a fresh clone (the gateway of `npm start` running). */
  examples?: string[];
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  values: Values;
  positionals: string[];
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'print this help and exit' };

/** The options every command shares. */
export const COMMON = {
  as: (role = 'PARTNER', help = 'act as this partner: its TLS certificate and OpenPGP key from the trust directory (PASSERELLE_CERTS_DIR)'): OptionSpec => ({ type: 'string', value: role, help }),
  gateway: { type: 'string', value: 'URL', help: 'the gateway to talk to (default https://PASSERELLE_HOST:PASSERELLE_PORT, 127.0.0.1 for 0.0.0.0)' } as OptionSpec,
  json: (what: string): OptionSpec => ({ type: 'boolean', help: `print one JSON document on stdout instead of text: ${what}. No progress bar; messages stay on stderr` }),
};

function optionLabel(name: string, option: OptionSpec): string {
  const long = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return option.short ? `-${option.short}, ${long}` : long;
}

export function usageLines(spec: CommandSpec): string {
  return spec.usage.map((line, i) => `${i === 0 ? 'usage: ' : '       '}passerelle ${line}`).join('\n');
}

export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, help: HELP_OPTION };
  const labels = Object.entries(options).map(([name, option]) => [optionLabel(name, option), option] as const);
  const width = Math.max(...labels.map(([label]) => label.length)) + 2;
  const lines = [usageLines(spec), '', spec.summary];
  if (spec.description) lines.push('', ...spec.description);
  lines.push('', 'Options:');
  for (const [label, option] of labels) {
    const byDefault = option.default !== undefined && option.type === 'string' ? ` (default ${String(option.default)})` : '';
    lines.push(`  ${label.padEnd(width)}${option.help}${byDefault}`);
  }
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  lines.push('', 'Exit codes: 0 done, 1 the operation failed, 2 wrong command line (see "passerelle help").');
  return `${lines.join('\n')}\n`;
}

/** A wrong command line: what was wrong and what to do, then the usage. */
export function usageError(spec: CommandSpec, what: string): GatewayError {
  return new GatewayError('usage_invalid', `${what}\n${usageLines(spec)}\nRun "passerelle ${spec.name} --help" for the options.`);
}

/** Node's parseArgs errors, said for a person. */
function explainParseError(err: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1] ?? 'an option';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(err.message) ? `${option} takes no value.` : `${option} needs a value.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${option}.`;
    default:
      return err.message;
  }
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Parses `args` for `spec`; undefined when the person asked for help (printed here, on stdout). */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand | undefined {
  if (wantsHelp(args)) {
    process.stdout.write(helpText(spec));
    return undefined;
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw usageError(spec, explainParseError(err as Error & { code?: string }));
    throw err;
  }
  const range = spec.positionals ?? { name: 'argument', min: 0, max: 0 };
  if (parsed.positionals.length > range.max) {
    const extra = parsed.positionals[range.max]!;
    throw usageError(spec, range.max === 0 ? `unexpected argument "${extra}": this command takes options only.` : `unexpected argument "${extra}": at most ${range.max} ${range.name}.`);
  }
  if (parsed.positionals.length < range.min) throw usageError(spec, `missing ${range.name}.`);
  return parsed;
}

/** A string option that must be present. */
export function required(spec: CommandSpec, parsed: ParsedCommand, name: string): string {
  const value = parsed.values[name];
  if (typeof value !== 'string' || value === '') throw usageError(spec, `--${name} is required (${spec.options[name]?.help ?? name}).`);
  return value;
}

/** A whole-number option within bounds, or undefined when absent. */
export function wholeNumber(spec: CommandSpec, parsed: ParsedCommand, name: string, bounds: { min: number; max?: number }): number | undefined {
  const value = parsed.values[name];
  if (value === undefined) return undefined;
  const text = String(value);
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d{1,16}$/.test(text)) throw usageError(spec, `--${name} must be a whole number (got "${text}").`);
  const n = Number(text);
  if (n < bounds.min || n > max) throw usageError(spec, `--${name} must be between ${bounds.min} and ${max} (got ${n}).`);
  return n;
}

/** A non-negative number option (seconds may have decimals), or undefined when absent. */
export function decimalNumber(spec: CommandSpec, parsed: ParsedCommand, name: string): number | undefined {
  const value = parsed.values[name];
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+(\.\d+)?$/.test(text)) throw usageError(spec, `--${name} must be a number of seconds, 0 or more (got "${text}").`);
  return Number(text);
}

/** One value among `choices`. */
export function oneOf<T extends string>(spec: CommandSpec, parsed: ParsedCommand, name: string, choices: readonly T[]): T {
  const value = String(parsed.values[name]);
  if (!(choices as readonly string[]).includes(value)) throw usageError(spec, `--${name} must be one of ${choices.join(', ')} (got "${value}").`);
  return value as T;
}
