/**
 * `passerelle inspect FILE [--format json|xml]`: reads an `interfaceNuu` file holding one or several
 * demands and prints the canonical demands with every problem found (JSON), or the document rebuilt
 * from them (XML: a round trip through the canonical model).
 * Exit 0 when the file parsed cleanly, 1 when problems were found, 2 when it is not readable XML.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CodecError,
  CodecErrorCode,
  createInterfaceNuuCodec,
  defaultElementTablePath,
  isTypeFichier,
  loadElementTable,
  type InterfaceNuuCodec,
  type ParsedInterfaceNuu,
} from '../../codec';
import type { Demande } from '../../domain';
import { ExitCode, reportFatal } from '../support';

interface InspectOptions {
  format: string;
  elements?: string;
}

/** One problem of the file, flattened: file-level ones have no `index`. */
export interface InspectProblem {
  index?: number;
  severity: 'error' | 'warning';
  path: string;
  rule: string;
  message: string;
}

/** Every problem of a parsed file: file-level first, then per demand (issues, then warnings). */
export function problemsOf(parsed: ParsedInterfaceNuu): InspectProblem[] {
  const out: InspectProblem[] = parsed.problems.map((p) => ({ severity: 'error' as const, path: p.path, rule: p.rule, message: p.message }));
  for (const d of parsed.demandes) {
    if (!d.ok) for (const i of d.issues) out.push({ index: d.index, severity: 'error', path: i.path, rule: i.rule, message: i.message });
    for (const w of d.warnings) out.push({ index: d.index, severity: 'warning', path: w.path, rule: w.rule, message: w.message });
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'parse an interfaceNuu file (one or several demands) and print the canonical demands and problems as JSON, ' +
        'or the document rebuilt from them (--format xml); exit 0 clean, 1 problems found, 2 not readable XML',
    )
    .argument('<file>', 'the XML file')
    .option('--format <format>', 'json (canonical demands and problems) or xml (rebuilt document)', 'json')
    .option('--elements <file>', 'element table of the [open] blocks (default: the shipped mappings/sne/elements.yaml)')
    .action((file: string, options: InspectOptions) => {
      process.exitCode = inspect(file, options);
    });
}

function inspect(file: string, options: InspectOptions): number {
  if (options.format !== 'json' && options.format !== 'xml') {
    process.stderr.write('error: --format must be json or xml\n');
    return ExitCode.error;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    process.stderr.write(`error: cannot read ${file} (${typeof code === 'string' ? code : 'unreadable'})\n`);
    return ExitCode.error;
  }
  let parsed: ParsedInterfaceNuu;
  let codec: InterfaceNuuCodec;
  try {
    codec = createInterfaceNuuCodec({ elements: loadElementTable(options.elements ?? defaultElementTablePath) });
    parsed = codec.parse(bytes);
  } catch (e) {
    // Not readable XML (with line and column), a limit, or an unusable element table.
    reportFatal(e);
    return ExitCode.error;
  }
  const problems = problemsOf(parsed);
  const demandes: Demande[] = [];
  const anomalies: Array<{ index: number; code: string; message: string }> = [];
  for (const d of parsed.demandes) {
    if (d.ok) demandes.push(d.demande);
    for (const a of d.anomalies) anomalies.push({ index: d.index, ...a });
  }
  if (options.format === 'json') {
    const out = {
      versionInterface: parsed.versionInterface,
      entete: parsed.entete,
      form: parsed.form,
      demandes,
      problems,
      ...(anomalies.length ? { anomalies } : {}),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const { typeFichier, dateFichier } = parsed.entete;
    try {
      process.stdout.write(
        codec.build({
          versionInterface: parsed.versionInterface ?? '',
          entete: { typeFichier: typeFichier !== undefined && isTypeFichier(typeFichier) ? typeFichier : ('' as never), dateFichier: dateFichier ?? '' },
          demandes,
          form: parsed.form,
        }),
      );
    } catch (e) {
      if (!(e instanceof CodecError && e.code === CodecErrorCode.buildInvalid)) throw e;
      reportFatal(e);
      return ExitCode.findings;
    }
    if (problems.length) {
      process.stderr.write(`${problems.length} problem(s), quarantined demands left out; --format json lists them\n`);
    }
  }
  return problems.length ? ExitCode.findings : ExitCode.ok;
}
