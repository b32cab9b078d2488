// Exit codes, the error type for command-line misuse, and the one way every command reads its
// flags: `--help`/`-h` prints the command's help, and a bad flag is a one-line usage error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INPUT_REFUSED_EXIT_CODE } from '../client/session-role.js';

/** Exit codes, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  unreachable: 5,
  /** Input could not be delivered: the session was a viewer, or another session held the write lock. */
  inputRefused: INPUT_REFUSED_EXIT_CODE,
} as const;

/** One `ironcore-console` command, as each module in ./commands exports it. */
export interface CliCommand {
  /** One line for the command list of `ironcore-console --help`. */
  summary: string;
  run(argv: string[]): Promise<void>;
}

/** The command line was wrong: print the message and exit with EXIT.usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * parseArgs for a command: undefined when `-h`/`--help` is on the line (the help is printed
 * then, whatever else is wrong there: people type it to find out). Node's parse errors become
 * one line that names the command and where its help is. `config.options` needs no help flag.
 */
export function parseCommandArgs<T extends ParseArgsConfig & { args: string[] }>(command: string, config: T, help: string): ReturnType<typeof parseArgs<T>> | undefined {
  if (helpRequested(config.args)) {
    console.log(help);
    return undefined;
  }
  try {
    return parseArgs(config);
  } catch (error) {
    throw usageOf(command, error);
  }
}
/** Whether `-h` or `--help` is among the options (before any `--`). */
export function helpRequested(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Node's parseArgs error as a one-line usage error; other errors as they are. */
export function usageOf(command: string, error: unknown): unknown {
  const code = (error as { code?: string }).code ?? '';
  if (!code.startsWith('ERR_PARSE_ARGS')) return error;
  const message = (error as Error).message;
  const option = /'(-[^']*)'/.exec(message)?.[1];
  const what =
    code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${option}`
    : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trimEnd()
    : (message.split('. ')[0] ?? message);
  return new UsageError(`${command}: ${what} (see \`ironcore-console ${command} --help\`)`);
}
