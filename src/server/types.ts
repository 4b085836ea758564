/**
 * Shapes the web server exchanges with its collaborators: the stores it reads, the reports it lists,
 * and the views it serves (never a sealed payload).
 */
import type { ConflictStore } from '../state/conflicts';
import type { CursorStore } from '../state/cursors';
import type { DeadLetter, DeadLetterStore } from '../state/dead-letters';
import type { QuarantineEntry, QuarantineStore } from '../state/quarantine';
import type { RunStore } from '../state/runs';

/** The stores the web server reads (and, for dead letters, closes). */
export interface WebStores {
  runs: Pick<RunStore, 'list'>;
  deadLetters: Pick<DeadLetterStore, 'search' | 'get' | 'close' | 'audit'>;
  quarantine: Pick<QuarantineStore, 'list'>;
  cursors: Pick<CursorStore, 'list'>;
  conflicts: Pick<ConflictStore, 'list'>;
}

/** One reconciliation report, as listed by the reconcile module. */
export interface ReportInfo {
  /** Stable id, used in `/reports/:id`: letters, digits, dot, dash, underscore. */
  id: string;
  /** ISO date-time. */
  createdAt: string;
  title?: string;
  /** `html`, `json`, `csv`. */
  format?: string;
}

/** What replaying a dead letter gave: `ok` false leaves the dead letter open. */
export interface ReplayOutcome {
  ok: boolean;
  /** Short, safe (no data): recorded in the audit trail. */
  message: string;
}

/** A dead letter as served: the sealed input is replaced by a flag. */
export type DeadLetterView = Omit<DeadLetter, 'sealedInput'> & { hasInput: boolean };

/** A quarantine entry as served: the sealed input is replaced by a flag. */
export type QuarantineView = Omit<QuarantineEntry, 'sealedInput'> & { hasInput: boolean };
