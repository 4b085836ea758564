/**
 * `passerelle sne get|radiees|dalo`: one call to the SNE with the configured client, for an operator
 * checking a demand or a delta by hand. The answer is printed as canonical JSON on stdout.
 *
 * Exit codes: 0 done; 1 done with findings (the numéro unique is unknown, or some demands of the answer
 * could not be read and are listed as quarantined); 2 failure, with `error: <class> <code>: <message>`
 * on stderr, the class being `transient`, `ambiguous` or `permanent`.
 */
import type { Command } from 'commander';
import { createInterfaceNuuCodec, loadElementTable, type DemandeResult } from '../../codec';
import { loadConfig } from '../../config';
import { PermanentError } from '../../errors';
import { sneClientFromConfig, type SneClient } from '../../systems/sne';
import { ExitCode, configPathFrom, reportFatal, withConfigOption } from '../support';

interface ConfigOption {
  config?: string;
}

function clientFor(options: ConfigOption): SneClient {
  const config = loadConfig({ path: configPathFrom(options) });
  const codec = createInterfaceNuuCodec({ elements: loadElementTable(), numUniqueShape: config.sne.numUniqueCheck === 'warn' });
  return sneClientFromConfig(config.sne, { codec });
}

/** `--since`: an ISO 8601 date-time (an offset or `Z` is advised; without one, local time). */
function parseSince(value: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) {
    throw new PermanentError('CLI_ARGUMENT', '--since must be an ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00');
  }
  return new Date(t);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function quarantined(r: DemandeResult) {
  return r.ok ? undefined : { index: r.index, ...(r.numUnique ? { numUnique: r.numUnique } : {}), issues: r.issues };
}

async function withClient(options: ConfigOption, work: (client: SneClient) => Promise<ExitCode>): Promise<void> {
  let client: SneClient | undefined;
  try {
    client = clientFor(options);
    process.exitCode = await work(client);
  } catch (e) {
    reportFatal(e);
    process.exitCode = ExitCode.error;
  } finally {
    await client?.close();
  }
}

async function since(kind: 'radiees' | 'dalo', options: ConfigOption & { since: string }): Promise<void> {
  await withClient(options, async (client) => {
    const date = parseSince(options.since);
    const answer = kind === 'radiees' ? await client.radieesDepuis(date) : await client.nouveauxDaloDepuis(date);
    const bad = answer.demandes.flatMap((r) => quarantined(r) ?? []);
    print({
      since: date.toISOString(),
      requestedAt: answer.requestedAt.toISOString(),
      count: answer.demandes.length,
      demandes: answer.demandes.flatMap((r) => (r.ok ? [r.demande] : [])),
      quarantined: bad,
    });
    return bad.length ? ExitCode.findings : ExitCode.ok;
  });
}

export function register(program: Command): void {
  const sne = program
    .command('sne')
    .description('call the SNE once with the configured client (exit 0 done, 1 findings, 2 failure)');

  withConfigOption(
    sne
      .command('get')
      .argument('<numUnique>', 'numéro unique of the demand')
      .description('getDemandeLogement: print the demand as canonical JSON (exit 1 when the SNE does not know it)'),
  ).action(async (numUnique: string, options: ConfigOption) => {
    await withClient(options, async (client) => {
      const result = await client.getDemande(numUnique);
      if (result === null) {
        process.stderr.write('not found: the SNE does not know this numéro unique\n');
        return ExitCode.findings;
      }
      if (!result.ok) {
        print({ quarantined: quarantined(result), warnings: result.warnings });
        return ExitCode.findings;
      }
      print(result.demande);
      return ExitCode.ok;
    });
  });

  withConfigOption(
    sne
      .command('radiees')
      .requiredOption('--since <datetime>', 'ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00')
      .description('getDemandesRadieesDepuisLe: print the demands radiated since the date'),
  ).action((options: ConfigOption & { since: string }) => since('radiees', options));

  withConfigOption(
    sne
      .command('dalo')
      .requiredOption('--since <datetime>', 'ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00')
      .description('getNouveauxDaloDepuisLe: print the demands newly recognised DALO since the date'),
  ).action((options: ConfigOption & { since: string }) => since('dalo', options));
}
