/**
 * The vocabulary of a reconciliation report: its categories (what differs between a registration system
 * and the local tool, and what is stuck in the gateway), its regulatory checks (domain.md §6-§9), and the
 * findings each lists. A finding names a demand, a reason code, fields and stores; never a personal value
 * (values only with `showValues`, and then only in the report files).
 */
import type { Issue } from '../errors';

/** What is compared or collected. The first four compare contents; the others list the gateway's stores. */
export const Category = {
  /** At the source, not in the local tool. */
  missingLocal: 'missing-local',
  /** In the local tool, not at the source. */
  missingSource: 'missing-source',
  /** On both sides with different contents (which fields). */
  divergent: 'divergent',
  /** Changed in the local tool since the gateway's last write, and not yet at the source. */
  changedLocally: 'changed-locally',
  /** Local events waiting to be pushed to the source. */
  pushPending: 'push-pending',
  /** Deliveries or pushes that failed and wait for an operator. */
  deadLetter: 'dead-letter',
  /** Records the gateway could not take in. */
  quarantined: 'quarantined',
  /** Demands not overwritten because the local tool changed them (HTTP 409). */
  conflict: 'conflict',
} as const;
export type Category = (typeof Category)[keyof typeof Category];
export const categories: readonly Category[] = Object.values(Category);

/** The categories decided by comparing contents (each demand is in at most one of them). */
export const comparisonCategories: readonly Category[] = [
  Category.missingLocal,
  Category.missingSource,
  Category.divergent,
  Category.changedLocally,
];

/** Regulatory checks (domain.md §6-§9). */
export const Check = {
  attributionNotReported: 'attribution-not-reported',
  attributionIncomplete: 'attribution-incomplete',
  delaiAnormalementLong: 'delai-anormalement-long',
  renewalDue: 'renewal-due',
  expiredNotRadiated: 'expired-not-radiated',
  attributedNotHoused: 'attributed-not-housed',
  retentionExceeded: 'retention-exceeded',
} as const;
export type Check = (typeof Check)[keyof typeof Check];
export const checks: readonly Check[] = Object.values(Check);

export type FindingKind = Category | Check;

export function isCategory(v: string): v is Category {
  return (categories as readonly string[]).includes(v);
}

export function isCheck(v: string): v is Check {
  return (checks as readonly string[]).includes(v);
}

export interface KindInfo {
  title: string;
  /** What it means and what to do, in one or two sentences. */
  description: string;
}

export const CATEGORY_INFO: Record<Category, KindInfo> = {
  'missing-local': {
    title: 'Missing in the local tool',
    description: 'The source holds the demand; the local tool does not. "Stopped at" says where it stopped in the gateway.',
  },
  'missing-source': {
    title: 'Missing at the source',
    description: 'The local tool holds the demand; the source does not (confirmed by a targeted read).',
  },
  divergent: {
    title: 'Divergent',
    description: 'Both sides hold the demand with different contents; the fields that differ are listed.',
  },
  'changed-locally': {
    title: 'Changed locally, not yet pushed',
    description: "The local tool changed the demand since the gateway's last write and the source does not have the change yet.",
  },
  'push-pending': {
    title: 'Pushes pending',
    description: 'Local events waiting in the push queues, in each demand’s order.',
  },
  'dead-letter': {
    title: 'Dead letters',
    description: 'Failed deliveries and pushes kept for an operator (replay or discard them on the dashboard).',
  },
  quarantined: {
    title: 'Quarantined records',
    description: 'Records refused at intake (malformed or invalid), with the fields and rules they break.',
  },
  conflict: {
    title: 'Conflicts (409)',
    description: 'Demands the gateway did not overwrite because the local tool had changed them.',
  },
};

export interface CheckInfo extends KindInfo {
  /** The rule, in one sentence. */
  rule: string;
  /** Where the rule comes from (domain.md section and legal text). */
  reference: string;
}

export const CHECK_INFO: Record<Check, CheckInfo> = {
  'attribution-not-reported': {
    title: 'Attribution not reported (RADATT)',
    description: 'A lease was signed after a CAL attribution, and the source still does not show the radiation RADATT.',
    rule: 'An attribution followed by a signed lease is reported as a radiation RADATT at lease signature; flagged when still absent at the source N days after the lease (reconcile.attributionReportDays).',
    reference: 'domain.md §7 a) and §8 (articles R441-2-8 and R441-2-9)',
  },
  'attribution-incomplete': {
    title: 'Attribution report incomplete',
    description: 'The attribution report misses a mandatory item; the fields and rules are listed.',
    rule: 'An attribution report carries the RPLS id of the dwelling (or its address, rooms, surface, QPV flag and rent), the imputation to a réservataire or the bailleur, the DALO, CIA, collective agreement and L441-1 priority flags, the lease date and the internal-transfer flag.',
    reference: 'domain.md §8 (article R441-2-9)',
  },
  'delai-anormalement-long': {
    title: 'Past the délai anormalement long, no DALO label',
    description: 'Active demands waiting longer than the department’s abnormally long delay, without a DALO label.',
    rule: 'A demand waiting longer than the délai anormalement long fixed for the department (territory.delaiAnormalementLongMonths), counted from the first filing, may go to the DALO commission: flag those without a DALO label.',
    reference: 'domain.md §9 (délai anormalement long, article L441-1-4)',
  },
  'renewal-due': {
    title: 'Renewal due within 30 days',
    description: 'Active demands expiring in the next 30 days: the applicant must be notified at least one month before.',
    rule: 'A demand is valid one year from filing or last renewal; the applicant is notified at least one month before expiry.',
    reference: 'domain.md §7 (article R441-2-8)',
  },
  'expired-not-radiated': {
    title: 'Expired, not radiated',
    description: 'Demands past their expiry date and still active: to radiate with motif RADREN.',
    rule: 'A demand not renewed at its expiry is radiated by the system manager (motif RADREN).',
    reference: 'domain.md §7 e) (article R441-2-8)',
  },
  'attributed-not-housed': {
    title: 'Attributed but not housed',
    description: 'Candidates ranked below the one who signed the lease: their demands stay active; local rules decide what follows.',
    rule: 'In an attribution by rank, a candidate ranked below the one who signed the lease is attributed but not housed.',
    reference: 'domain.md §6 b) (article R441-3)',
  },
  'retention-exceeded': {
    title: 'Kept more than one year after radiation',
    description: 'Radiated demands whose data should have been erased.',
    rule: 'Data of a demand are kept one year after its radiation, then erased.',
    reference: 'domain.md §7 (article R441-2-8)',
  },
};

/** Where a demand stopped on its way through the gateway. */
export const StoppedAt = {
  /** The source holds content the gateway has not pulled yet. */
  notPulled: 'not-pulled',
  /** Pulled, not (yet) written to the local tool. */
  delivery: 'delivery',
  quarantine: 'quarantine',
  deadLetter: 'dead-letter',
  conflict: 'conflict',
  pushPending: 'push-pending',
  /** Changed locally, and no push of it is pending. */
  notPushed: 'not-pushed',
} as const;
export type StoppedAt = (typeof StoppedAt)[keyof typeof StoppedAt];

/** What a repair does for a finding. */
export const Fix = {
  /** A targeted pull of the demand from the source (the ledger entry is reset first when needed). */
  repull: 'repull',
  /** Replay of the dead letter that holds it. */
  replay: 'replay',
  /** The local content recorded as a rectification event, which the push pipeline sends. */
  repush: 'repush',
} as const;
export type Fix = (typeof Fix)[keyof typeof Fix];

/** Identifiers of the gateway's stores a finding points to (never values). */
export interface FindingRefs {
  deadLetterId?: string;
  quarantineId?: string;
  eventId?: string;
  jobId?: string;
  queue?: string;
  target?: string;
  system?: string;
  source?: string;
  /** The local tool's version of the demand when the report was made. */
  localVersion?: number;
  /** How the ledger entry is reset before a re-pull. */
  ledgerReset?: 'delete' | 'clear-failed';
}

/** One line of a report. */
export interface Finding {
  kind: FindingKind;
  /** Absent only for a quarantined record whose numéro unique could not be read. */
  numUnique?: string;
  /** Stable reason code (`source-ahead`, `CTRL_DEM_0042`, `attribution-item-required`...). */
  reason: string;
  /** Short text for people: identifiers, codes, dates of the procedure; never a personal value. */
  detail?: string;
  /** Field paths (`demandeur.adressePostale.codePostal`): what differs, or what breaks a rule. */
  fields?: string[];
  /** More fields differed than listed. */
  fieldsTruncated?: boolean;
  stoppedAt?: StoppedAt[];
  /** Comparison findings: true when a targeted read of both sides confirmed it. */
  confirmed?: boolean;
  fix?: Fix;
  refs?: FindingRefs;
  /** Dates and numbers of the procedure (expiry, lease date, days late, rank). */
  data?: Record<string, string | number | boolean>;
  /** Only with `showValues`: the differing values per field path. */
  values?: Record<string, { source?: unknown; local?: unknown }>;
}

/** How the source side was read. */
export const SourceMode = {
  /** A full stock file (dispatch file of every demand). */
  stock: 'stock',
  /** No stock file: what the gateway last pulled (the ledger), each difference confirmed by a targeted read. */
  ledger: 'ledger',
} as const;
export type SourceMode = (typeof SourceMode)[keyof typeof SourceMode];

export interface ReconcileReport {
  format: 'passerelle.reconcile/1';
  id: string;
  /** The registration system compared (`sne`, `spta:35`). */
  system: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The day the regulatory checks were evaluated for (`YYYY-MM-DD`). */
  today: string;
  source: {
    mode: SourceMode;
    /** File name of the stock (no folder). */
    file?: string;
    /** `entete/dateFichier` of the stock. */
    dateFichier?: string;
    /** `fast` (byte-level split) or `codec` (the codec's checking splitter, when the file needed it). */
    splitter?: 'fast' | 'codec';
    demandes: number;
    /** Stock demands parsed (their raw content was not the one last pulled). */
    parsed: number;
  };
  local: { demandes: number; evenements: number; nonCanonical: number };
  compared: { demandes: number; identical: number };
  confirmation: {
    /** Targeted reads of the source made, and the most allowed. */
    reads: number;
    budget: number;
    rateLimit: { max: number; durationMs: number };
    /** Differences that vanished when read again (a side caught up since). */
    resolved: number;
    unconfirmed: number;
    errors: Record<string, number>;
  };
  counts: Record<FindingKind, number>;
  findings: Record<Category, Finding[]>;
  checks: Record<Check, Finding[]>;
  /** What limited the reconciliation (unreadable stock demands, truncated lists...): paths and rules. */
  problems: Issue[];
  showValues: boolean;
}

export function emptyCounts(): Record<FindingKind, number> {
  const out = {} as Record<FindingKind, number>;
  for (const k of [...categories, ...checks]) out[k] = 0;
  return out;
}
