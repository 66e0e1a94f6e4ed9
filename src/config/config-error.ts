/** One problem with the configuration, named by its key and, where one exists, its variable. */
export interface ConfigProblem {
  readonly key: string;
  readonly variable?: string;
  readonly message: string;
}

/**
 * Thrown by loadConfig with every problem found, not just the first (STYLE, after
 * oauth2-proxy's options validation). `code` is stable for scripts.
 */
export class ConfigError extends Error {
  readonly code = 'RESCIND_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  /** The configuration file that was read, when the problems come from loading one. */
  readonly file: string | undefined;

  constructor(problems: readonly ConfigProblem[], file?: string) {
    const source = file === undefined ? '' : ` (read from ${file} and the RESCIND_* variables)`;
    super(
      `invalid configuration${source}:\n${problems.map((problem) => `  - ${formatProblem(problem)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.variable ? `${problem.key} (${problem.variable})` : problem.key;
  return `${where}: ${problem.message}`;
}
