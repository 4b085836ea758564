/**
 * `passerelle check-config [--config FILE]`: validates the whole configuration file (with the environment
 * overrides and secrets resolved) and prints either a masked summary or every problem, one per line.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { checkConfig, describeConfig } from '../../config';
import { ExitCode, configPathFrom, withConfigOption } from '../support';

export function register(program: Command): void {
  withConfigOption(
    program
      .command('check-config')
      .description('validate the configuration file and list every problem with its path (secrets masked)'),
  ).action((options: { config?: string }) => {
    const { config, issues, path } = checkConfig({ path: configPathFrom(options) });
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
