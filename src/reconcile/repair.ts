/**
 * `--repair`: the fix of each fixable finding, planned from a report (dry run: what it would do) and
 * applied on demand (`--apply`). Every action goes through the ordinary pipelines, so the next
 * reconciliation shows the findings resolved once they ran:
 * - **re-pull**: a targeted pull job `{source: '<system>:demande', numUniques}` on the pull queue; the
 *   local ledger entry that would make the pull skip the demand is dropped (or its failed hash cleared)
 *   first;
 * - **replay** of a dead letter: a delivery is enqueued again with its sealed input (in a run of its own);
 *   other queues go through the replay the daemon provides (`replayDeadLetter`, the dashboard's);
 * - **re-push**: the local record is recorded as a `rectification` event in the local tool's feed (id
 *   `reconcile.<numUnique>.v<version>`: recording it twice is harmless), which the push pipeline sends.
 */
import type { Queue } from 'bullmq';
import { toSafeError } from '../errors';
import type { Logger } from '../logging';
import type { ReplayOutcome } from '../server/types';
import { DeadLetterStatus, type DeadLetterStore } from '../state/dead-letters';
import type { Ledger, LedgerEntry } from '../state/ledger';
import type { RunStore } from '../state/runs';
import type { LocalClient } from '../systems/local';
import { LOCAL_SYSTEM } from './ops';
import { Fix, type Finding, type ReconcileReport } from './types';

export const RepairKind = { repull: 'repull', replay: 'replay', repush: 'repush' } as const;
export type RepairKind = (typeof RepairKind)[keyof typeof RepairKind];

export interface RepairAction {
  kind: RepairKind;
  /** repull: one batch of demands; replay: the demand of the dead letter; repush: one demand. */
  numUniques: string[];
  /** repull: ledger entries reset before the pull. */
  ledgerResets?: Array<{ numUnique: string; reset: 'delete' | 'clear-failed' }>;
  deadLetterId?: string;
  /** repush: the local version the report saw (a later change is not pushed by this repair). */
  localVersion?: number;
  /** What it does, in one line (identifiers only). */
  description: string;
}

export interface RepairPlan {
  reportId: string;
  system: string;
  actions: RepairAction[];
}

export interface RepairOutcome {
  action: RepairAction;
  status: 'done' | 'skipped' | 'failed';
  message: string;
  /** Jobs or events created (ids). */
  ids?: string[];
}

const BATCH = 500;

/** Every fixable finding of a report, as actions (nothing is done). */
export function planRepair(report: Pick<ReconcileReport, 'id' | 'system' | 'findings'>, options: { batchSize?: number } = {}): RepairPlan {
  const batch = options.batchSize ?? BATCH;
  const all: Finding[] = Object.values(report.findings).flat();
  const repull = new Map<string, Finding>();
  const replay = new Map<string, string | undefined>();
  const repush: Finding[] = [];
  for (const f of all) {
    if (f.fix === Fix.repull && f.numUnique) repull.set(f.numUnique, f);
    else if (f.fix === Fix.replay && f.refs?.deadLetterId) replay.set(f.refs.deadLetterId, f.numUnique ?? replay.get(f.refs.deadLetterId));
    else if (f.fix === Fix.repush && f.numUnique) repush.push(f);
  }
  const actions: RepairAction[] = [];
  const nus = [...repull.keys()].sort();
  for (let i = 0; i < nus.length; i += batch) {
    const chunk = nus.slice(i, i + batch);
    const resets = chunk.flatMap((nu) => {
      const reset = repull.get(nu)!.refs?.ledgerReset;
      return reset ? [{ numUnique: nu, reset }] : [];
    });
    actions.push({
      kind: RepairKind.repull,
      numUniques: chunk,
      ...(resets.length ? { ledgerResets: resets } : {}),
      description: `re-pull ${chunk.length} demand(s) from ${report.system}${resets.length ? ` (${resets.length} ledger entr${resets.length > 1 ? 'ies' : 'y'} reset first)` : ''}`,
    });
  }
  for (const [id, nu] of [...replay].sort()) {
    actions.push({ kind: RepairKind.replay, numUniques: nu ? [nu] : [], deadLetterId: id, description: `replay dead letter ${id}${nu ? ` (demand ${nu})` : ''}` });
  }
  for (const f of repush.sort((a, b) => (a.numUnique! < b.numUnique! ? -1 : 1))) {
    const v = f.refs?.localVersion;
    actions.push({
      kind: RepairKind.repush,
      numUniques: [f.numUnique!],
      ...(v !== undefined ? { localVersion: v } : {}),
      description: `push the local version ${v ?? '?'} of demand ${f.numUnique} to ${report.system} (a rectification event)`,
    });
  }
  return { reportId: report.id, system: report.system, actions };
}

export interface RepairDeps {
  ledger: Pick<Ledger, 'get' | 'set' | 'delete'>;
  pullQueue: Pick<Queue, 'add'>;
  deliverQueue: Pick<Queue, 'add'>;
  deadLetters: Pick<DeadLetterStore, 'get' | 'close'>;
  runs: Pick<RunStore, 'start' | 'intakeDone'> & { addChanged(runId: string, n: number): Promise<void> };
  local: Pick<LocalClient, 'getDemande' | 'postEvenement'>;
  /** The daemon's replay (push dead letters); without it only deliveries are replayed here. */
  replayDeadLetter?: (id: string, who: string) => Promise<ReplayOutcome>;
  logger: Logger;
  now?: () => Date;
  /** Who the audit trail names. */
  who?: string;
}

const safeId = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** Applies a plan, action by action; a failed action does not stop the others. */
export async function applyRepair(plan: RepairPlan, deps: RepairDeps): Promise<RepairOutcome[]> {
  const now = deps.now ?? (() => new Date());
  const who = deps.who ?? 'reconcile';
  const out: RepairOutcome[] = [];
  const log = deps.logger.child({ component: 'reconcile-repair', reportId: plan.reportId });
  const repairRun = `run.repair.${safeId(plan.reportId)}`;
  let repairRunStarted = false;
  let pullN = 0;

  for (const action of plan.actions) {
    try {
      if (action.kind === RepairKind.repull) {
        for (const r of action.ledgerResets ?? []) {
          if (r.reset === 'delete') await deps.ledger.delete(LOCAL_SYSTEM, r.numUnique);
          else {
            const e = await deps.ledger.get(LOCAL_SYSTEM, r.numUnique);
            if (e) {
              const { failedHash: _failed, ...rest } = e;
              await deps.ledger.set(LOCAL_SYSTEM, r.numUnique, rest as LedgerEntry);
            }
          }
        }
        const jobId = `pull.${safeId(plan.system)}_demande.repair.${safeId(plan.reportId)}.${++pullN}`;
        await deps.pullQueue.add(
          'pull',
          { source: `${plan.system}:demande`, trigger: 'reconcile-repair', numUniques: action.numUniques, runId: `run.${jobId}` },
          { jobId },
        );
        out.push({ action, status: 'done', message: `pull job ${jobId} enqueued`, ids: [jobId] });
      } else if (action.kind === RepairKind.replay) {
        const dl = await deps.deadLetters.get(action.deadLetterId!);
        if (!dl || dl.status !== DeadLetterStatus.open) {
          out.push({ action, status: 'skipped', message: 'the dead letter is no longer open' });
          continue;
        }
        if (dl.queue === 'deliver' && dl.sealedInput) {
          if (!repairRunStarted) {
            await deps.runs.start({ id: repairRun, kind: 'repair', source: `reconcile:${plan.system}`, trigger: 'reconcile-repair' });
            repairRunStarted = true;
          }
          const jobId = `deliver.replay.${safeId(dl.id)}`;
          await deps.deliverQueue.add(dl.job.name, { ...dl.job.data, runId: repairRun, sealed: dl.sealedInput }, { jobId });
          await deps.runs.addChanged(repairRun, 1);
          await deps.deadLetters.close(dl.id, DeadLetterStatus.replayed, who, `re-enqueued as ${jobId} by ${plan.reportId}`);
          out.push({ action, status: 'done', message: `delivery re-enqueued as ${jobId}`, ids: [jobId] });
        } else if (deps.replayDeadLetter) {
          const r = await deps.replayDeadLetter(dl.id, who);
          if (r.ok) await deps.deadLetters.close(dl.id, DeadLetterStatus.replayed, who, r.message);
          out.push({ action, status: r.ok ? 'done' : 'failed', message: r.message });
        } else {
          out.push({ action, status: 'skipped', message: `no replay of ${dl.queue} dead letters in this process: replay it from the dashboard` });
        }
      } else {
        const nu = action.numUniques[0]!;
        const current = await deps.local.getDemande(nu);
        if (!current) {
          out.push({ action, status: 'skipped', message: 'the local tool no longer holds the demand' });
          continue;
        }
        if (action.localVersion !== undefined && current.version !== action.localVersion) {
          out.push({ action, status: 'skipped', message: `the local demand changed again since the report (version ${current.version})` });
          continue;
        }
        const id = `reconcile.${nu}.v${current.version}`;
        const r = await deps.local.postEvenement({ id, numUnique: nu, type: 'rectification', occurredAt: now().toISOString(), payload: { demande: current.record } });
        out.push({ action, status: 'done', message: r.created ? `rectification event ${id} recorded` : `rectification event ${id} was already recorded`, ids: [id] });
      }
    } catch (e) {
      const safe = toSafeError(e);
      log.warn('repair action failed', { kind: action.kind, code: safe.code });
      out.push({ action, status: 'failed', message: `${safe.errorClass} ${safe.code}: ${safe.message}` });
    }
  }
  if (repairRunStarted) await deps.runs.intakeDone(repairRun);
  return out;
}
