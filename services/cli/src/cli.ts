import { parseArgs } from 'node:util';
import { ApiClient } from './api-client';
import { ApiError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, TransferError, UsageError } from './cli-errors';
import type { Command, CommandContext, OptionValues, OptionsConfig } from './command';
import { drainCommand, migrateCommand } from './commands/admin.commands';
import { exportCommand } from './commands/export.command';
import { importCommand } from './commands/import.command';
import { statusCommand } from './commands/status.command';
import { storageBackupCommand, storageRestoreCommand } from './commands/storage.command';
import { Progress, type ProgressSink } from './progress';

export const COMMANDS: readonly Command[] = [
  exportCommand,
  importCommand,
  migrateCommand,
  storageBackupCommand,
  storageRestoreCommand,
  drainCommand,
  statusCommand,
];

const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Options every command takes. */
const GLOBAL_OPTIONS: OptionsConfig = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = [
  `--url URL         the gateway (default: $PLUGBOARD_URL, else ${DEFAULT_URL})`,
  '--key KEY         an admin API key (default: $PLUGBOARD_API_KEY; required)',
  '-h, --help        this help',
];

export interface CliIo {
  /** Only PLUGBOARD_URL and PLUGBOARD_API_KEY are read. */
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: ProgressSink;
}

/** Runs one command line (without `node` and the script) and resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let command: Command | undefined;
  try {
    const found = findCommand(argv);
    command = found.command;
    if (!command) {
      if (found.rest.length === 0) {
        io.stderr.write(mainHelp());
        return EXIT_USAGE;
      }
      if (['-h', '--help', 'help'].includes(found.rest[0])) {
        io.stdout.write(mainHelp());
        return EXIT_OK;
      }
      throw new UsageError(`unknown command "${found.rest.join(' ')}"`);
    }
    const { values, positionals } = parseCommandLine(command, found.rest);
    if (values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    if (positionals.length !== command.args.length) {
      throw new UsageError(
        positionals.length < command.args.length ? `missing ${command.args.slice(positionals.length).join(' ')}` : `unexpected argument "${positionals[command.args.length]}"`,
        command.name,
      );
    }
    await command.run(contextFor(values, io), values, positionals);
    return EXIT_OK;
  } catch (error) {
    return report(error, io, command);
  }
}

/** `storage backup …` matches the two-word command; `storage` alone asks for its subcommands. */
function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  const two = COMMANDS.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === argv[0]);
  if (one) return { command: one, rest: argv.slice(1) };
  if (argv[0] && COMMANDS.some((c) => c.name.startsWith(`${argv[0]} `))) {
    if (argv.length === 1 || ['-h', '--help'].includes(argv[1])) return { rest: ['--help'] };
    throw new UsageError(`unknown command "${argv[0]} ${argv[1]}"`);
  }
  return { rest: argv };
}

function parseCommandLine(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs explains unknown options and missing values itself.
    throw new UsageError(error instanceof Error ? error.message : String(error), command.name);
  }
}

function contextFor(values: OptionValues, io: CliIo): CommandContext {
  return {
    client: () => {
      const key = (values.key as string | undefined) ?? io.env.PLUGBOARD_API_KEY;
      if (!key) throw new UsageError('an API key is required: pass --key or set PLUGBOARD_API_KEY');
      return new ApiClient((values.url as string | undefined) ?? io.env.PLUGBOARD_URL ?? DEFAULT_URL, key);
    },
    out: (text) => io.stdout.write(`${text}\n`),
    stderr: io.stderr,
    progress: (label, total) => new Progress(label, total, io.stderr),
  };
}

/** Prints what went wrong on stderr and picks the exit code; never a stack trace. */
function report(error: unknown, io: CliIo, command: Command | undefined): number {
  if (error instanceof UsageError) {
    const usageOf = COMMANDS.find((c) => c.name === error.command) ?? (error.command ? undefined : command);
    io.stderr.write(`plugboard: ${error.message}\n`);
    io.stderr.write(usageOf ? `usage: plugboard ${usageOf.usage}  (see plugboard ${usageOf.name} --help)\n` : 'see plugboard --help\n');
    return EXIT_USAGE;
  }
  if (error instanceof ApiError) {
    io.stderr.write(`plugboard: ${error.code}: ${error.message} (HTTP ${error.status})\n`);
    io.stderr.write(`${JSON.stringify({ error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } })}\n`);
    return EXIT_FAILED;
  }
  if (error instanceof TransferError) {
    io.stderr.write(`plugboard: ${error.message}\n`);
    return EXIT_FAILED;
  }
  io.stderr.write(`plugboard: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILED;
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'plugboard: operate a running Plugboard installation through its gateway',
    '',
    'usage: plugboard <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'options of every command:',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
    'exit codes: 0 done, 1 the server refused or the transfer failed, 2 wrong command line',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `usage: plugboard ${command.usage}`,
    '',
    command.summary,
    '',
    ...(command.help.length ? [...command.help.map((line) => `  ${line}`), ''] : []),
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
  ].join('\n');
}
