/**
 * `passerelle demo` (= `npm run demo`): simulators of the SNE and the local tool, synthetic demands, the
 * daemon and its dashboard, on loopback, from the default configuration.
 */
import type { Command } from 'commander';
import { stopOnSignals } from '../../daemon/lifecycle';
import { startDemo } from '../../demo';
import { configPathFrom, out, withConfigOption } from '../support';

export function register(program: Command): void {
  withConfigOption(
    program
      .command('demo')
      .description('run the whole gateway on loopback against simulators with synthetic demands, and its dashboard')
      .option('-n, --demandes <n>', 'synthetic demands at the SNE simulator', '2000')
      .option('--seed <seed>', 'seed of the synthetic data', 'demo')
      .option('--events-per-second <n>', 'rate of the local events stream after the sync (0: none)', '2')
      .option('--exit-after-sync', 'exit after the initial sync, printing its counts as one JSON line'),
  ).action(async (options: { config?: string; demandes: string; seed: string; exitAfterSync?: boolean; eventsPerSecond: string }) => {
    const rate = Number(options.eventsPerSecond);
    const demo = await startDemo({
      configPath: configPathFrom(options),
      demandes: Number(options.demandes),
      seed: options.seed,
      events: !options.exitAfterSync && rate > 0,
      eventsPerSecond: rate,
      print: options.exitAfterSync ? () => undefined : out,
    });
    if (options.exitAfterSync) {
      out(JSON.stringify({ run: demo.initialRun.id, status: demo.initialRun.status, ...demo.initialRun.counts }));
      await demo.close();
      process.exitCode = demo.initialRun.status === 'finished' ? 0 : 1;
      return;
    }
    out('running; Ctrl-C to stop');
    stopOnSignals({ logger: demo.gateway.logger, closeables: [demo] });
  });
}
