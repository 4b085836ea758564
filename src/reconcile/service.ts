/**
 * A reconciliation from start to end, as the CLI and the nightly job run it: the engine, the `--fail-on`
 * verdict, the repair plan (applied on demand), the report files, the pruning of old reports. Also the
 * processor of the `reconcile` tick job and the report listing of the web server.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { defaultElementTablePath, type InterfaceNuuCodec } from '../codec';
import type { Config } from '../config';
import { PermanentError } from '../errors';
import type { Logger } from '../logging';
import { DEFAULT_MAPPINGS_DIR, loadMappings, type MappingTables } from '../mapping';
import { pushQueueName } from '../push/keys';
import type { Keys } from '../queue/keys';
import { execOrThrow } from '../queue/redis';
import type { ReportInfo, ReplayOutcome } from '../server/types';
import type { ConflictStore } from '../state/conflicts';
import type { DeadLetterStore } from '../state/dead-letters';
import type { Ledger } from '../state/ledger';
import type { QuarantineStore } from '../state/quarantine';
import type { RunStore } from '../state/runs';
import { createFragmentParser, type FragmentParser } from '../sync/parse-pool';
import type { LocalClient } from '../systems/local';
import type { DemandSystem } from '../systems/port';
import { reconcile, reportId, type ReconcileLocal, type ReconcileOptions } from './engine';
import { ReportStore, type ReportFormat, type WrittenReport } from './report/store';
import { applyRepair, planRepair, type RepairOutcome, type RepairPlan } from './repair';
import { resolveStockFile } from './stock';
import { DEFAULT_FAIL_ON, exceededThresholds, parseFailOn, type Exceeded, type Thresholds } from './thresholds';
import type { FindingKind, ReconcileReport } from './types';

/** What a reconciliation needs from the gateway (a `Gateway` has all of it) and beside it. */
export interface ReconcileServiceDeps {
  config: Config;
  /** The stores' connection. */
  redis: Redis;
  /** BullMQ's connection (default `redis`): the push queues are read through it. */
  bullRedis?: Redis;
  keys: Keys;
  ledger: Ledger;
  deadLetters: DeadLetterStore;
  quarantine: QuarantineStore;
  conflicts: ConflictStore;
  runs: RunStore;
  /** The SNE codec (the gateway's). */
  codec: InterfaceNuuCodec;
  logger: Logger;
  queues: { pull: Queue; deliver: Queue; push?: Queue };
  local: ReconcileLocal & Pick<LocalClient, 'postEvenement'>;
  /** The registration systems by id (`sne`, `spta:35`). */
  systems: ReadonlyMap<string, DemandSystem>;
  /** Codecs of other systems' formats (an SPTA dialect); the SNE codec otherwise. */
  codecs?: ReadonlyMap<string, InterfaceNuuCodec>;
  /** Mapping tables (default: loaded from `mappingsDir` at each run). */
  tables?: MappingTables;
  mappingsDir?: string;
  /** The daemon's replay of a dead letter (the dashboard's), for pushes. */
  replayDeadLetter?: (id: string, who: string) => Promise<ReplayOutcome>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunReconciliationOptions extends Omit<ReconcileOptions, 'id' | 'stockFile'> {
  /** `sne` (default) or `spta:<id>`. */
  system?: string;
  /** A stock file, or a folder whose newest `.xml` file is the stock; absent: the ledger. */
  stock?: string;
  formats?: readonly ReportFormat[];
  /** Default `config.reconcile.outDir`. */
  outDir?: string;
  /** Default `DEFAULT_FAIL_ON`. */
  failOn?: Thresholds;
  /** `plan`: list the fixes; `apply`: do them. */
  repair?: 'plan' | 'apply';
  /** Write no files (tests, dry checks). */
  write?: boolean;
  /** Rows per list in the HTML page. */
  htmlRows?: number;
}

export interface ReconciliationResult {
  report: ReconcileReport;
  thresholds: Thresholds;
  exceeded: Exceeded[];
  plan?: RepairPlan;
  repair?: RepairOutcome[];
  written?: WrittenReport;
}

export const ReconcileErrorCode = { unknownSystem: 'RECONCILE_UNKNOWN_SYSTEM' } as const;

/** The push queues a system's pending pushes wait in. */
function pushQueuesFor(deps: ReconcileServiceDeps, system: string): { queues: Queue[]; own: Queue[] } {
  const own = [new Queue(pushQueueName(system), { connection: deps.bullRedis ?? deps.redis, prefix: deps.keys.bull })];
  return { queues: [...(deps.queues.push ? [deps.queues.push] : []), ...own], own };
}

export async function runReconciliation(deps: ReconcileServiceDeps, options: RunReconciliationOptions = {}): Promise<ReconciliationResult> {
  const systemId = options.system ?? 'sne';
  const system = deps.systems.get(systemId);
  if (!system) {
    throw new PermanentError(ReconcileErrorCode.unknownSystem, `no system "${systemId}" is configured`, {
      system: 'reconcile',
      details: { known: [...deps.systems.keys()] },
    });
  }
  const now = deps.now ?? (() => new Date());
  const codec = deps.codecs?.get(systemId) ?? deps.codec;
  const stockFile = options.stock ? await resolveStockFile(options.stock) : undefined;
  const tables = deps.tables ?? loadMappings(deps.mappingsDir ?? DEFAULT_MAPPINGS_DIR);
  const threads = deps.config.pull.parseThreads;
  // Worker threads know the SNE element table only; another dialect is parsed in this thread.
  const parserFactory =
    threads > 0 && codec === deps.codec
      ? (): FragmentParser => createFragmentParser({ threads, codec, workerData: { elementTablePath: defaultElementTablePath } })
      : undefined;
  const push = pushQueuesFor(deps, systemId);
  let report: ReconcileReport;
  try {
    report = await reconcile(
      {
        config: deps.config,
        redis: deps.redis,
        keys: deps.keys,
        ledger: deps.ledger,
        deadLetters: deps.deadLetters,
        quarantine: deps.quarantine,
        conflicts: deps.conflicts,
        codec,
        logger: deps.logger,
        local: deps.local,
        system,
        tables,
        pushQueues: push.queues,
        ...(parserFactory ? { parserFactory } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      },
      {
        ...options,
        id: reportId(systemId, now()),
        ...(stockFile ? { stockFile } : {}),
      },
    );
  } finally {
    await Promise.all(push.own.map((q) => q.close()));
  }

  const thresholds = options.failOn ?? parseFailOn(DEFAULT_FAIL_ON);
  const exceeded = exceededThresholds(report.counts as Record<FindingKind, number>, thresholds);
  const result: ReconciliationResult = { report, thresholds, exceeded };
  if (options.repair) {
    result.plan = planRepair(report);
    if (options.repair === 'apply') {
      result.repair = await applyRepair(result.plan, {
        ledger: deps.ledger,
        pullQueue: deps.queues.pull,
        deliverQueue: deps.queues.deliver,
        deadLetters: deps.deadLetters,
        runs: {
          start: (r) => deps.runs.start(r),
          intakeDone: (id) => deps.runs.intakeDone(id),
          addChanged: async (id, n) => {
            await execOrThrow(deps.runs.addIntake(deps.redis.multi(), id, { changed: n }));
          },
        },
        local: deps.local,
        ...(deps.replayDeadLetter ? { replayDeadLetter: deps.replayDeadLetter } : {}),
        logger: deps.logger,
        now,
      });
    }
  }

  if (options.write !== false) {
    const store = new ReportStore(options.outDir ?? deps.config.reconcile.outDir, deps.config.reconcile.keep);
    const repairLines = result.repair
      ? result.repair.map((o) => `${o.status}: ${o.action.description}: ${o.message}`)
      : result.plan?.actions.map((a) => `would ${a.description}`);
    result.written = await store.write(report, {
      ...(options.formats ? { formats: options.formats } : {}),
      extra: {
        thresholds: { spec: thresholds.spec, exceeded },
        ...(result.plan ? { repair: { mode: result.repair ? 'applied' : 'dry-run', plan: result.plan, ...(result.repair ? { outcomes: result.repair } : {}) } } : {}),
      },
      html: {
        thresholds: { spec: thresholds.spec, exceeded },
        ...(repairLines ? { repair: { mode: result.repair ? 'applied' : 'dry run', lines: repairLines } } : {}),
        ...(options.htmlRows ? { rows: options.htmlRows } : {}),
      },
    });
    report.id = result.written.id;
  }
  return result;
}

/** What the `reconcile` tick job carries. */
export interface ReconcileJobData {
  /** One system (default: every configured one). */
  source?: string;
  /** A stock file or folder for this run. */
  stock?: string;
  trigger?: string;
  tickAt?: string;
}

export interface ReconcileProcessorDeps extends ReconcileServiceDeps {
  /** Where a system's stock is (a file, or a folder whose newest `.xml` file is taken); none: the ledger. */
  stockFor?: (system: string) => string | undefined | Promise<string | undefined>;
}

/**
 * The processor of the `reconcile` job of the maintenance queue (the nightly tick): one report per
 * system, kept in `config.reconcile.outDir`. Findings above the default thresholds are logged as a
 * warning (counts only); the job fails only when the reconciliation cannot run.
 */
export function createReconcileProcessor(deps: ReconcileProcessorDeps) {
  return async (job: Pick<Job<ReconcileJobData>, 'data' | 'id'>): Promise<{ reports: Array<{ id: string; system: string; counts: Record<string, number> }> }> => {
    const systems = job.data.source ? [job.data.source] : [...deps.systems.keys()];
    const reports: Array<{ id: string; system: string; counts: Record<string, number> }> = [];
    for (const system of systems) {
      const stock = job.data.stock ?? (await deps.stockFor?.(system));
      const r = await runReconciliation(deps, { system, ...(stock ? { stock } : {}) });
      reports.push({ id: r.report.id, system, counts: r.report.counts });
      const log = deps.logger.child({ component: 'reconcile', jobId: job.id, system, reportId: r.report.id });
      if (r.exceeded.length) log.warn('reconciliation found differences', { exceeded: r.exceeded.map((e) => `${e.kind}=${e.count}`).join(',') });
      else log.info('reconciliation clean', { trigger: job.data.trigger ?? 'manual' });
    }
    return { reports };
  };
}

/** The web server's report listing (`listReports`, `reportFile`), over `config.reconcile.outDir`. */
export function reportListing(config: Pick<Config, 'reconcile'>): { listReports: () => Promise<ReportInfo[]>; reportFile: (id: string) => string } {
  const store = new ReportStore(config.reconcile.outDir, config.reconcile.keep);
  return { listReports: () => store.list(), reportFile: (id) => store.file(id) };
}
