/** `passerelle runs` and `passerelle quarantine`: what the last runs did, and what was set aside. */
import type { Command } from 'commander';
import { gatewayFromFile } from '../../daemon/assemble';
import { configPathFrom, out, table, withConfigOption } from '../support';
import { printRuns } from './pull';

export function register(program: Command): void {
  withConfigOption(
    program.command('runs').description('list the last runs with their counts').option('-n, --limit <n>', 'how many', '20').option('--json', 'JSON lines'),
  ).action(async (options: { config?: string; limit: string; json?: boolean }) => {
    const gateway = gatewayFromFile(configPathFrom(options), []);
    try {
      await gateway.start();
      const runs = await gateway.runs.list(Number(options.limit));
      if (options.json) runs.forEach((r) => out(JSON.stringify(r)));
      else printRuns(runs);
    } finally {
      await gateway.close();
    }
  });

  withConfigOption(
    program
      .command('quarantine')
      .description('list quarantined records: where they came from and why (path, rule), never their values')
      .option('-s, --source <source>', 'only this source')
      .option('--demande <numUnique>', 'only this demand')
      .option('-n, --limit <n>', 'how many', '50')
      .option('--json', 'JSON lines'),
  ).action(async (options: { config?: string; source?: string; demande?: string; limit: string; json?: boolean }) => {
    const gateway = gatewayFromFile(configPathFrom(options), []);
    try {
      await gateway.start();
      const entries = await gateway.quarantine.list({
        limit: Number(options.limit),
        ...(options.source ? { source: options.source } : {}),
        ...(options.demande ? { numUnique: options.demande } : {}),
      });
      if (options.json) {
        entries.forEach(({ sealedInput: _sealed, ...e }) => out(JSON.stringify(e)));
        return;
      }
      out(
        table(
          entries.flatMap((e) =>
            e.issues.map((i) => ({ at: e.at, source: e.source, file: e.file, index: e.index, numUnique: e.numUnique, path: i.path, rule: i.rule, message: i.message })),
          ),
          ['at', 'source', 'file', 'index', 'numUnique', 'path', 'rule', 'message'],
        ),
      );
    } finally {
      await gateway.close();
    }
  });
}
