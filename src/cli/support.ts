/** Helpers shared by the CLI commands: exit codes, the `--config` option, fatal error reporting. */
import type { Command } from 'commander';
import { toSafeError } from '../errors';

export const ExitCode = { ok: 0, findings: 1, error: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Adds `--config FILE` (default: `PASSERELLE_CONFIG`, then `config/default.yaml`). */
export function withConfigOption(command: Command): Command {
  return command.option(
    '-c, --config <file>',
    'configuration file (default: $PASSERELLE_CONFIG or config/default.yaml)',
  );
}

export function configPathFrom(options: { config?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return options.config ?? env.PASSERELLE_CONFIG ?? 'config/default.yaml';
}

/** Prints an error for an operator: its class, code and message (never a stack of foreign data). */
export function reportFatal(e: unknown): void {
  const safe = toSafeError(e);
  process.stderr.write(`error: ${safe.errorClass} ${safe.code}: ${safe.message}\n`);
}
