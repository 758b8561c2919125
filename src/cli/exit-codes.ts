/**
 * The exit codes of `passerelle`, in one place: main.ts maps each outcome to one of them, and
 * docs/cli.md's table is checked against this list by test/cli/exit-codes.test.ts.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  unexpected: 70,
  interrupted: 130,
} as const;

export type ExitName = keyof typeof EXIT;

export const EXIT_CODES: ReadonlyArray<{ code: number; name: ExitName; meaning: string }> = [
  { code: EXIT.ok, name: 'ok', meaning: 'the command did what it was asked' },
  { code: EXIT.failure, name: 'failure', meaning: 'the operation failed (the gateway refused or is unreachable, a file is missing, a verification failed): the message on stderr says what to do' },
  { code: EXIT.usage, name: 'usage', meaning: 'the command line is wrong (unknown command or option, missing or malformed argument): the message says what, then the usage' },
  { code: EXIT.refused, name: 'refused', meaning: '`consume` only: every delivery was handled, but some were refused (bad signature, invalid document) and went back to the queue' },
  { code: EXIT.unexpected, name: 'unexpected', meaning: 'a defect: an unexpected failure, printed with its stack trace (EX_SOFTWARE of sysexits.h); report it' },
  { code: EXIT.interrupted, name: 'interrupted', meaning: '`demo` only: stopped by Ctrl-C (SIGINT) after cleaning up (128 + 2, the shell convention)' },
];
