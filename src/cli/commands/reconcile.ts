/**
 * `passerelle reconcile`: compares a registration system with the local tool now, writes the report
 * (JSON, CSV, HTML) and prints its counts. Exit code: 0 clean, 1 findings above the `--fail-on`
 * thresholds, 2 error (configuration, unreachable system, unreadable stock).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Config } from '../../config';
import { gatewayFromFile } from '../../daemon/assemble';
import { ValidationError } from '../../errors';
import {
  CATEGORY_INFO,
  CHECK_INFO,
  categories,
  checks,
  DEFAULT_FAIL_ON,
  parseFailOn,
  Phase,
  ReportFormat,
  reportFormats,
  runReconciliation,
  type ReconcileProgress,
  type ReconciliationResult,
} from '../../reconcile';
import { createSystems } from '../../systems';
import { createLocalClient } from '../../systems/local';
import { ExitCode, configPathFrom, out, table, withConfigOption } from '../support';

interface ReconcileCliOptions {
  config?: string;
  source: string;
  stock?: string;
  requestStock?: boolean;
  format: string;
  out?: string;
  failOn?: string;
  showValues?: boolean;
  repair?: boolean;
  apply?: boolean;
  confirmMax: string;
  today?: string;
  json?: boolean;
}

/** `json,csv,html` → the formats, every mistake listed. */
export function parseFormats(value: string): ReportFormat[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(reportFormats as readonly string[]).includes(n));
  if (bad.length || !names.length) {
    throw new ValidationError('RECONCILE_FORMAT_INVALID', [
      { path: '--format', rule: 'enum', message: `a comma-separated list of ${reportFormats.join(', ')}` },
    ]);
  }
  return [...new Set(names)] as ReportFormat[];
}

export function positiveInt(value: string, path: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ValidationError('RECONCILE_OPTION_INVALID', [{ path, rule: 'integer', message: 'a whole number ≥ 0' }]);
  return n;
}

/** Asks the SNE simulator (demo, tests) to write a full dispatch file into its dispatch folder. */
async function requestSimulatorStock(config: Config, system: string, dir: string): Promise<string> {
  const base = system === 'sne' ? config.sne.url : config.spta.find((s) => `spta:${s.id}` === system)?.url;
  if (!base) throw new ValidationError('RECONCILE_OPTION_INVALID', [{ path: '--request-stock', rule: 'url', message: 'the system has no URL in the configuration' }]);
  const res = await fetch(new URL('/_sim/dispatch', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ all: true }),
    signal: AbortSignal.timeout(30 * 60_000),
  });
  if (!res.ok) throw new ValidationError('RECONCILE_STOCK_REQUEST', [{ path: '--request-stock', rule: 'simulator', message: `the simulator answered ${res.status}` }]);
  const body = (await res.json()) as { files?: Array<{ name: string }> };
  const name = body.files?.[body.files.length - 1]?.name;
  if (!name) throw new ValidationError('RECONCILE_STOCK_REQUEST', [{ path: '--request-stock', rule: 'simulator', message: 'the simulator wrote no file' }]);
  return join(dir, name);
}

const PHASE_LABEL: Record<string, string> = {
  [Phase.ledger]: 'ledgers',
  [Phase.stores]: 'stores',
  [Phase.local]: 'local export',
  [Phase.stock]: 'stock file (bytes)',
  [Phase.events]: 'events',
  [Phase.compare]: 'comparison',
  [Phase.confirm]: 'targeted reads',
  [Phase.checks]: 'attribution checks',
};

/** A bar per phase on a terminal (stderr); nothing when stderr is not a TTY. */
function progressBars(enabled: boolean): { update: (p: ReconcileProgress) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const multi = new MultiBar({ format: '{phase} {bar} {value}/{total}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  const bars = new Map<string, SingleBar>();
  let stopped = false;
  return {
    update: (p) => {
      if (stopped) return;
      let bar = bars.get(p.phase);
      if (!bar) {
        bar = multi.create(Math.max(p.total ?? p.done, 1), 0, { phase: (PHASE_LABEL[p.phase] ?? p.phase).padEnd(20) });
        bars.set(p.phase, bar);
      }
      bar.setTotal(Math.max(p.total ?? p.done, 1));
      bar.update(p.done);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}

function printResult(r: ReconciliationResult): void {
  const rep = r.report;
  out(`reconciliation ${rep.id}: ${rep.system} (${rep.source.mode === 'stock' ? `stock ${rep.source.file}` : 'ledger, no stock file'}) vs local tool, checks as of ${rep.today}`);
  out(`compared ${rep.compared.demandes} demands, ${rep.compared.identical} identical; ${rep.confirmation.reads} targeted reads, ${rep.confirmation.unconfirmed} unconfirmed; ${Math.round(rep.durationMs / 100) / 10} s`);
  out();
  out(
    table(
      [
        ...categories.map((c) => ({ kind: c, what: CATEGORY_INFO[c].title, count: rep.counts[c], fixable: rep.findings[c].filter((f) => f.fix).length })),
        ...checks.map((c) => ({ kind: c, what: CHECK_INFO[c].title, count: rep.counts[c], fixable: '' as const })),
      ].map((row) => ({ ...row, fixable: row.fixable === '' ? '' : String(row.fixable) })),
      ['kind', 'what', 'count', 'fixable'],
    ),
  );
  for (const p of rep.problems) out(`note: ${p.path} [${p.rule}] ${p.message}`);
  if (r.plan) {
    out();
    if (r.repair) {
      out(`repair applied (${r.repair.length} action(s)):`);
      for (const o of r.repair) out(`  ${o.status}: ${o.action.description}: ${o.message}`);
    } else {
      out(`repair dry run: ${r.plan.actions.length} action(s) (add --apply to do them):`);
      for (const a of r.plan.actions) out(`  would ${a.description}`);
    }
  }
  if (r.written) {
    out();
    out(`report: ${r.written.dir}`);
    for (const f of r.written.files.filter((f) => !f.startsWith('csv/'))) out(`  ${f}`);
    if (r.written.files.some((f) => f.startsWith('csv/'))) out(`  csv/ (one file per category and check)`);
  }
  out();
  out(
    r.exceeded.length
      ? `FINDINGS above --fail-on (${r.thresholds.spec}): ${r.exceeded.map((e) => `${e.kind} ${e.count} > ${e.max}`).join(', ')}`
      : `within --fail-on (${r.thresholds.spec || 'none'})`,
  );
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command('reconcile')
      .description('compare a registration system with the local tool now; write the report (exit 0 clean, 1 findings above --fail-on, 2 error)')
      .option('-s, --source <system>', 'sne | spta:<id>', 'sne')
      .option('--stock <file|dir>', "the source's full stock file (a dispatch file of every demand), or a folder whose newest .xml file is taken; without it the source side is the ledger, each difference confirmed by a targeted read")
      .option('--request-stock', 'ask the SNE simulator to write its full stock into its dispatch folder first (demo; --stock names that folder)')
      .option('-f, --format <list>', `report formats: ${reportFormats.join(',')}`, reportFormats.join(','))
      .option('-o, --out <dir>', 'report folder (default: reconcile.outDir)')
      .option(
        '--fail-on <rules>',
        `when to exit 1: NAME=MAX terms separated by commas (fails when a count is above MAX; NAME alone means 0), NAME a category, a check, or categories|checks|all; "none" never fails (default: ${DEFAULT_FAIL_ON})`,
      )
      .option('--show-values', 'put the differing values in the report files (personal data: keep the report accordingly); never in logs')
      .option('--repair', 'plan the fix of each fixable finding (re-pull, replay, re-push) and print it (dry run)')
      .option('--apply', 'with --repair: do it')
      .option('--confirm-max <n>', 'most targeted reads of the source (rate-limited by reconcile.rateLimit); past it differences are reported unconfirmed', '1000')
      .option('--today <date>', 'evaluate the regulatory checks as of this day, YYYY-MM-DD (default: today in schedules.timezone)')
      .option('--json', 'print the summary as one JSON line instead of tables'),
  ).action(async (options: ReconcileCliOptions) => {
    if (options.apply && !options.repair) {
      throw new ValidationError('RECONCILE_OPTION_INVALID', [{ path: '--apply', rule: 'needs-repair', message: '--apply goes with --repair' }]);
    }
    if (options.today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.today)) {
      throw new ValidationError('RECONCILE_OPTION_INVALID', [{ path: '--today', rule: 'date', message: 'a date written YYYY-MM-DD' }]);
    }
    const formats = parseFormats(options.format);
    const failOn = parseFailOn(options.failOn ?? DEFAULT_FAIL_ON);
    const confirmMax = positiveInt(options.confirmMax, '--confirm-max');
    const configPath = configPathFrom(options);
    const gateway = gatewayFromFile(configPath, []);
    const config = gateway.config;
    const local = createLocalClient({ baseUrl: config.local.url, token: config.local.token, timeoutMs: config.local.timeoutMs });
    const systems = createSystems({ config, codec: gateway.codec, logger: gateway.logger });
    const bars = progressBars(process.stderr.isTTY === true && !options.json);
    try {
      await gateway.start();
      let stock = options.stock;
      if (options.requestStock) {
        if (!stock) throw new ValidationError('RECONCILE_OPTION_INVALID', [{ path: '--request-stock', rule: 'needs-stock', message: "--stock must name the simulator's dispatch folder" }]);
        stock = await requestSimulatorStock(config, options.source, stock);
      }
      const result = await runReconciliation(
        gateway.reconcileDeps({ local, systems }),
        {
          system: options.source,
          ...(stock ? { stock } : {}),
          formats,
          ...(options.out ? { outDir: options.out } : {}),
          failOn,
          showValues: options.showValues === true,
          ...(options.repair ? { repair: options.apply ? 'apply' : 'plan' } : {}),
          confirmMax,
          ...(options.today ? { today: options.today } : {}),
          onProgress: bars.update,
        },
      );
      bars.stop();
      if (options.json) {
        out(
          JSON.stringify({
            id: result.report.id,
            system: result.report.system,
            counts: result.report.counts,
            exceeded: result.exceeded,
            dir: result.written?.dir,
            files: result.written?.files,
            ...(result.plan ? { repair: result.repair ?? result.plan.actions } : {}),
          }),
        );
      } else printResult(result);
      process.exitCode = result.exceeded.length ? ExitCode.findings : ExitCode.ok;
    } finally {
      bars.stop();
      local.close();
      await Promise.all([...systems.values()].map((s) => s.close()));
      await gateway.close();
    }
  });

}
