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

/** Writes a line on stdout (the CLI's result channel; logs go to stderr). */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Fixed-width table for a terminal. */
export function table(rows: Array<Record<string, string | number | undefined>>, columns: string[]): string {
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ').trimEnd();
  return [line(columns), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n');
}
