import type { ParseArgsConfig } from 'node:util';
import type { ApiClient } from './api-client';
import type { Progress, ProgressSink } from './progress';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** What a command gets to work with: the gateway client, the output streams and progress bars. */
export interface CommandContext {
  /** The client for `--url`/`--key` (or their environment variables); a missing key is a usage error. */
  client(): ApiClient;
  /** Results: one line or a small table. */
  out(text: string): void;
  stderr: ProgressSink;
  progress(label: string, total: number | undefined): Progress;
}

/** One `plugboard …` command: how it is called, what it says in `--help`, what it does. */
export interface Command {
  /** `export`, or `storage backup` for a subcommand. */
  name: string;
  summary: string;
  /** The synopsis after `plugboard `. */
  usage: string;
  /** Lines explaining the options and arguments. */
  help: string[];
  options: OptionsConfig;
  /** Names of the positional arguments, all required. */
  args: string[];
  run(context: CommandContext, values: OptionValues, args: string[]): Promise<void>;
}
