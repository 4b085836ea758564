/**
 * `passerelle generate --count N --seed S --out DIR [--territory T] [--per-file M] [--format xml|json]
 * [--today YYYY-MM-DD] [--start-index I] [--creation]`: writes a synthetic data set, the same bytes for
 * the same options (the reference day defaults to a fixed date, never the wall clock).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../codec';
import {
  DEFAULT_TERRITORY,
  DEFAULT_TODAY,
  GenerationMode,
  OutputFormat,
  territories,
  writeDataSet,
  type BuildInterfaceNuu,
} from '../../synthetic';
import { ExitCode } from '../support';

interface GenerateCliOptions {
  count: number;
  seed: string;
  out: string;
  territory: string;
  perFile: number;
  format: string;
  today: string;
  startIndex: number;
  creation?: boolean;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
      throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    }
    return Number(value);
  };
}

/** The codec's XML writer with the default element table, compiled once for all the files. */
function codecBuilder(): BuildInterfaceNuu {
  const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
  return (input) => buildInterfaceNuu(input, codec);
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('write a seeded synthetic data set of demands (interfaceNuu XML files or canonical JSON lines)')
    .requiredOption('--count <n>', 'number of demands', wholeNumber(0))
    .requiredOption('--seed <seed>', 'seed (an integer or any string): same seed, same data')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--territory <key>', `territory preset: ${Object.keys(territories).join(', ')}`, DEFAULT_TERRITORY)
    .option('--per-file <m>', 'demands per file', wholeNumber(1), 1000)
    .option('--format <format>', 'xml (SNE dispatch files DEM<guichet>-<stamp>-<counter>.xml) or json (JSON lines)', 'xml')
    .option('--today <date>', 'the day the data set describes (YYYY-MM-DD)', DEFAULT_TODAY)
    .option('--start-index <i>', 'index of the first demand', wholeNumber(0), 0)
    .option('--creation', 'new demands without numéro unique (files typed CRE)')
    .action((options: GenerateCliOptions) => {
      const format = options.format === OutputFormat.json ? OutputFormat.json : OutputFormat.xml;
      if (options.format !== OutputFormat.json && options.format !== OutputFormat.xml) {
        process.stderr.write('error: --format must be xml or json\n');
        process.exitCode = ExitCode.error;
        return;
      }
      const buildXml = format === OutputFormat.xml ? codecBuilder() : undefined;
      const files = writeDataSet({
        count: options.count,
        seed: options.seed,
        startIndex: options.startIndex,
        territory: options.territory,
        today: options.today,
        mode: options.creation ? GenerationMode.creation : GenerationMode.registered,
        outDir: options.out,
        perFile: options.perFile,
        format,
        ...(buildXml ? { buildXml } : {}),
      });
      const total = files.reduce((n, f) => n + f.demandes, 0);
      process.stdout.write(`wrote ${total} demands in ${files.length} file(s) to ${options.out}\n`);
      process.exitCode = ExitCode.ok;
    });
}
