/**
 * `passerelle pull --source sne|spta:<id>|dispatch [--since ISO]`: runs one pull now (with delivery
 * workers in this process, alongside any running daemon) and prints the run's counts.
 */
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { Role } from '../../daemon/gateway';
import { gatewayFromFile } from '../../daemon/assemble';
import { ValidationError } from '../../errors';
import type { Run } from '../../state/runs';
import { ExitCode, configPathFrom, out, table, withConfigOption } from '../support';

/** `sne` pulls both "since" services of the SNE; `spta:35` those of that SPTA. */
export function sourcesFor(source: string, known: readonly string[]): string[] {
  if (known.includes(source)) return [source];
  const expanded = known.filter((k) => k.startsWith(`${source}:`) && !k.endsWith(':demande'));
  if (expanded.length) return expanded;
  throw new ValidationError('PULL_UNKNOWN_SOURCE', [
    { path: '--source', rule: 'known-source', message: `unknown source; one of: ${['dispatch', ...new Set(known.map((k) => k.split(':').slice(0, -1).join(':')).filter(Boolean))].join(', ')} or ${known.join(', ')}` },
  ]);
}

export function printRuns(runs: Run[]): void {
  out(
    table(
      runs.map((r) => ({ run: r.id, source: r.source, status: r.status, started: r.startedAt, ...r.counts, failedAttempts: r.failedAttempts })),
      ['run', 'source', 'status', 'started', 'fetched', 'valid', 'quarantined', 'unchanged', 'changed', 'delivered', 'conflicts', 'failed', 'failedAttempts'],
    ),
  );
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command('pull')
      .description('run one pull now and print its counts (exit 1 when records were quarantined, failed or in conflict)')
      .requiredOption('-s, --source <source>', 'sne | spta:<id> | dispatch | a single service such as sne:radiees')
      .option('--since <iso>', 'read the "since" services from this date-time instead of the stored cursor')
      .option('--json', 'print the runs as JSON lines')
      .option('--timeout <seconds>', 'give up waiting after this long', '3600'),
  ).action(async (options: { config?: string; source: string; since?: string; json?: boolean; timeout: string }) => {
    const gateway = gatewayFromFile(configPathFrom(options), [Role.worker]);
    try {
      await gateway.start();
      const runs: Run[] = [];
      for (const source of sourcesFor(options.source, [...gateway.sources().keys()])) {
        const { runId } = await gateway.triggerPull({ source, trigger: 'manual', ...(options.since ? { since: options.since } : {}) });
        const bar = process.stderr.isTTY && !options.json ? new SingleBar({ format: `${source} {bar} {value} records | {delivered} delivered`, hideCursor: true }, Presets.shades_classic) : undefined;
        bar?.start(0, 0, { delivered: 0 });
        const run = await gateway.waitForRun(runId, {
          timeoutMs: Number(options.timeout) * 1000,
          onProgress: (r) => {
            bar?.setTotal(Math.max(r.counts.fetched, 1));
            bar?.update(r.counts.fetched, { delivered: r.counts.delivered });
          },
        });
        bar?.stop();
        runs.push(run);
        if (options.json) out(JSON.stringify(run));
      }
      if (!options.json) printRuns(runs);
      const troubled = runs.some((r) => r.status !== 'finished' || r.counts.quarantined + r.counts.failed + r.counts.conflicts > 0);
      process.exitCode = runs.some((r) => r.status === 'failed') ? ExitCode.error : troubled ? ExitCode.findings : ExitCode.ok;
    } finally {
      await gateway.close();
    }
  });
}
