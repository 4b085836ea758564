/** `passerelle reports`: the reconciliation reports kept (`reconcile.outDir`, the last `reconcile.keep`), newest first. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { ReportStore } from '../../reconcile';
import { configPathFrom, out, table, withConfigOption } from '../support';
import { positiveInt } from './reconcile';

export function register(program: Command): void {
  withConfigOption(
    program
      .command('reports')
      .description('list the reconciliation reports kept (newest first)')
      .option('-n, --limit <n>', 'how many', '30')
      .option('--json', 'JSON lines'),
  ).action(async (options: { config?: string; limit: string; json?: boolean }) => {
    const config = loadConfig({ path: configPathFrom(options) });
    const store = new ReportStore(config.reconcile.outDir, config.reconcile.keep);
    const metas = (await store.metas()).slice(0, positiveInt(options.limit, '--limit'));
    if (options.json) {
      for (const m of metas) out(JSON.stringify({ ...m, dir: join(store.dir, m.id) }));
      return;
    }
    if (!metas.length) {
      out(`no report in ${store.dir}`);
      return;
    }
    out(
      table(
        metas.map((m) => ({
          report: m.id,
          created: m.createdAt,
          source: m.sourceMode,
          'missing-local': m.counts['missing-local'],
          'missing-source': m.counts['missing-source'],
          divergent: m.counts.divergent,
          'changed-locally': m.counts['changed-locally'],
          'dead-letter': m.counts['dead-letter'],
          verdict: m.exceeded === undefined ? '' : m.exceeded.length ? 'findings' : 'clean',
        })),
        ['report', 'created', 'source', 'missing-local', 'missing-source', 'divergent', 'changed-locally', 'dead-letter', 'verdict'],
      ),
    );
    out(`folder: ${store.dir}`);
  });
}
