/**
 * What a difference between the source and the local tool is, where the demand stopped in the gateway,
 * and what would fix it: a pure function of the two contents (hashes), the ledger entries and the
 * gateway's stores. Each demand lands in at most one comparison category.
 */
import type { ErrorClass } from '../errors';
import { Category, Fix, StoppedAt } from './types';

export interface DeadLetterRef {
  id: string;
  errorClass: ErrorClass;
}

/** Everything known about one demand, as hashes and flags (no content). */
export interface DemandeSituation {
  /** Canonical hash of the source's content; undefined when the source does not hold the demand. */
  source?: string;
  /** Hash of the local tool's content; undefined when the local tool does not hold the demand. */
  local?: string;
  /** The local ledger entry: what the gateway last wrote, and a content that failed permanently. */
  ledger?: { hash?: string; failedHash?: string };
  /** What the gateway last pulled from the source. */
  sourceLedgerHash?: string;
  quarantined?: boolean;
  conflict?: boolean;
  pushPending?: boolean;
  /** An open dead letter of a delivery to the local tool. */
  deliverDeadLetter?: DeadLetterRef;
  /** An open dead letter of a push to the source. */
  pushDeadLetter?: DeadLetterRef;
}

export interface Classification {
  category: Category;
  reason: string;
  stoppedAt: StoppedAt[];
  fix?: Fix;
  ledgerReset?: 'delete' | 'clear-failed';
  /** The dead letter a replay would take. */
  deadLetterId?: string;
}

/** Reason codes of the comparison categories. */
export const Reason = {
  /** The gateway wrote it to the local tool, which no longer holds it. */
  deletedLocally: 'deleted-locally',
  /** Pulled from the source, never written to the local tool. */
  notDelivered: 'not-delivered',
  /** Never pulled: no dispatch carried it yet. */
  notPulled: 'not-pulled',
  /** The gateway had it from the source, which no longer holds it. */
  goneFromSource: 'gone-from-source',
  /** Only ever in the local tool. */
  localOnly: 'local-only',
  /** The source changed since the gateway's last write; the local tool did not. */
  sourceAhead: 'source-ahead',
  /** Both sides changed since the gateway's last write. */
  bothChanged: 'both-changed',
  /** The gateway never wrote this demand to the local tool. */
  neverSynced: 'never-synced',
  /** The local tool changed it since the gateway's last write; the source did not. */
  localChange: 'local-change',
} as const;

/** The reasons in words, for the report's readers. */
export const REASON_TEXT: Record<string, string> = {
  [Reason.deletedLocally]: 'the gateway wrote it; the local tool no longer holds it',
  [Reason.notDelivered]: 'pulled from the source, never written to the local tool',
  [Reason.notPulled]: 'no dispatch brought it to the gateway yet',
  [Reason.goneFromSource]: 'the gateway had it from the source, which no longer holds it',
  [Reason.localOnly]: 'only ever in the local tool',
  [Reason.sourceAhead]: "the source changed it since the gateway's last write",
  [Reason.bothChanged]: "both sides changed it since the gateway's last write: decide which one holds",
  [Reason.neverSynced]: 'the gateway never wrote it to the local tool, and the contents differ',
  [Reason.localChange]: "the local tool changed it since the gateway's last write",
};

const replayOrNone = (dl: DeadLetterRef): { fix?: Fix; deadLetterId: string } =>
  // Only a transient failure (target down) is worth replaying unattended; a permanent one needs its
  // cause fixed, and an ambiguous one a look at the target first (design.md §3.4).
  dl.errorClass === 'transient' ? { fix: Fix.replay, deadLetterId: dl.id } : { deadLetterId: dl.id };

/** The comparison category of a demand, or undefined when both sides agree (or neither holds it). */
export function classify(s: DemandeSituation): Classification | undefined {
  const { source, local, ledger } = s;
  if (source === undefined && local === undefined) return undefined;
  if (source !== undefined && local !== undefined && source === local) return undefined;

  if (local === undefined) {
    const reason = ledger?.hash ? Reason.deletedLocally : s.sourceLedgerHash !== undefined ? Reason.notDelivered : Reason.notPulled;
    const stoppedAt: StoppedAt[] = [];
    if (s.quarantined) stoppedAt.push(StoppedAt.quarantine);
    if (s.deliverDeadLetter) stoppedAt.push(StoppedAt.deadLetter);
    if (s.conflict) stoppedAt.push(StoppedAt.conflict);
    if (!stoppedAt.length && reason !== Reason.deletedLocally) {
      stoppedAt.push(s.sourceLedgerHash === source ? StoppedAt.delivery : StoppedAt.notPulled);
    }
    const base = { category: Category.missingLocal, reason, stoppedAt };
    if (s.deliverDeadLetter) return { ...base, ...replayOrNone(s.deliverDeadLetter) };
    if (s.conflict) return base;
    // A ledger entry (written, or failed) would make the pull skip the demand: it is dropped first.
    return { ...base, fix: Fix.repull, ...(ledger ? { ledgerReset: 'delete' as const } : {}) };
  }

  if (source === undefined) {
    const reason = s.sourceLedgerHash !== undefined || ledger?.hash ? Reason.goneFromSource : Reason.localOnly;
    const stoppedAt: StoppedAt[] = [];
    if (s.pushPending) stoppedAt.push(StoppedAt.pushPending);
    if (s.pushDeadLetter) stoppedAt.push(StoppedAt.deadLetter);
    const base = { category: Category.missingSource, reason, stoppedAt };
    return s.pushDeadLetter && !s.pushPending ? { ...base, ...replayOrNone(s.pushDeadLetter) } : base;
  }

  const localChanged = ledger?.hash !== undefined && local !== ledger.hash;
  const sourceChanged = ledger?.hash === undefined || source !== ledger.hash;

  if (localChanged && !sourceChanged) {
    const stoppedAt: StoppedAt[] = [];
    if (s.pushPending) stoppedAt.push(StoppedAt.pushPending);
    if (s.pushDeadLetter) stoppedAt.push(StoppedAt.deadLetter);
    if (!stoppedAt.length) stoppedAt.push(StoppedAt.notPushed);
    const base = { category: Category.changedLocally, reason: Reason.localChange, stoppedAt };
    if (s.pushPending) return base;
    if (s.pushDeadLetter) return { ...base, ...replayOrNone(s.pushDeadLetter) };
    return { ...base, fix: Fix.repush };
  }

  const reason = ledger?.hash === undefined ? Reason.neverSynced : localChanged ? Reason.bothChanged : Reason.sourceAhead;
  const stoppedAt: StoppedAt[] = [];
  if (s.conflict) stoppedAt.push(StoppedAt.conflict);
  if (s.deliverDeadLetter) stoppedAt.push(StoppedAt.deadLetter);
  if (s.quarantined) stoppedAt.push(StoppedAt.quarantine);
  if (s.pushPending) stoppedAt.push(StoppedAt.pushPending);
  if (!stoppedAt.length && reason === Reason.sourceAhead) {
    stoppedAt.push(s.sourceLedgerHash === source ? StoppedAt.delivery : StoppedAt.notPulled);
  }
  const base = { category: Category.divergent, reason, stoppedAt };
  // Only a demand whose local copy is still the gateway's last write can be overwritten unattended.
  if (reason !== Reason.sourceAhead || s.conflict) return base;
  if (s.deliverDeadLetter) return { ...base, ...replayOrNone(s.deliverDeadLetter) };
  return { ...base, fix: Fix.repull, ...(ledger?.failedHash === source ? { ledgerReset: 'clear-failed' as const } : {}) };
}
