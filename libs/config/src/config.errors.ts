import { ErrorCode } from '@plugboard/contracts';

/** One thing wrong with the configuration, named by the variable a user has to fix. */
export interface ConfigProblem {
  variable: string;
  /** The raw value as given; absent when unset or when the variable holds a secret. */
  value?: string;
  message: string;
  /** The values that would have been accepted, for enum-like variables. */
  accepted?: string[];
  /** The file the value came from (relative to the working directory); absent for the process environment. */
  source?: string;
}

/** Bad configuration, with every problem found in one pass. */
export class ConfigError extends Error {
  readonly code = ErrorCode.ValidationFailed;

  constructor(readonly problems: ConfigProblem[]) {
    super(formatConfigProblems(problems));
    this.name = 'ConfigError';
  }
}

/** True for variables holding credentials: never echoed, and kept in a Secret by deployments. */
export function isSecretVariable(name: string): boolean {
  return /PASSWORD|SECRET|TOKEN|USERNAME|(^|_)KEY(_ID)?$/.test(name);
}

/** Human-readable text: a header with the count, then one indented line per problem. */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
  const header = `Invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):`;
  const lines = problems.map((problem) => {
    const value = problem.value === undefined ? '' : `=${JSON.stringify(problem.value)}`;
    const source = problem.source === undefined ? '' : ` (from ${problem.source})`;
    return `  ${problem.variable}${value}${source}: ${problem.message}`;
  });
  return [header, ...lines].join('\n');
}
