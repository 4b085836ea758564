/**
 * `passerelle check-config [--config FILE] [--mappings DIR]`: validates the whole configuration file (with the environment
 * overrides and secrets resolved) and every data table, and prints a masked summary or every problem, one per line.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { describeConfig } from '../../config';
import { checkStartup } from '../../daemon/startup-checks';
import { ExitCode, configPathFrom, withConfigOption } from '../support';

export function register(program: Command): void {
  withConfigOption(
    program
      .command('check-config')
      .description('validate the configuration file and every mapping table; list every problem with its path (secrets masked)')
      .option('-m, --mappings <dir>', 'check these mapping tables instead of the shipped ones (before deploying a new version)'),
  ).action((options: { config?: string; mappings?: string }) => {
    const { config, issues, path } = checkStartup({ path: configPathFrom(options), ...(options.mappings ? { mappingsDir: options.mappings } : {}) });
    if (config && issues.length === 0) {
      process.stdout.write(`config OK: ${path}\n${stringify(describeConfig(config))}`);
      process.exitCode = ExitCode.ok;
      return;
    }
    const lines = issues.map((i) => `${i.path || '(file)'}: ${i.message} [${i.rule}]\n`);
    process.stdout.write(`config INVALID: ${path}: ${issues.length} problem(s)\n${lines.join('')}`);
    process.exitCode = ExitCode.error;
  });
}
