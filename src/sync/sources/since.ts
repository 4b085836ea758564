/**
 * The "since" services of a registration system (`getDemandesRadieesDepuisLe`,
 * `getNouveauxDaloDepuisLe`) as pull sources. The cursor is the time of the last successful request,
 * less an overlap for clock skew between the gateway and the system: a demand seen twice is harmless
 * (the ledger finds it unchanged), a demand missed is not.
 */
import type { DemandSystem } from '../../systems/port';
import type { PulledRecord, PullSource } from '../pull';

export const SinceService = { radiees: 'radiees', dalo: 'dalo' } as const;
export type SinceService = (typeof SinceService)[keyof typeof SinceService];

export interface SinceSourceOptions {
  system: DemandSystem;
  service: SinceService;
  /** Where to start when there is no cursor yet (default: 24 hours before now). */
  initialLookbackMs?: number;
  /** Overlap kept behind the last request time (default 5 minutes). */
  overlapMs?: number;
  /** Records per page handed to the pipeline. */
  pageSize?: number;
  now?: () => Date;
}

export function createSinceSource(options: SinceSourceOptions): PullSource {
  const now = options.now ?? (() => new Date());
  const overlap = options.overlapMs ?? 5 * 60_000;
  const pageSize = options.pageSize ?? 500;
  const { system, service } = options;
  return {
    id: `${system.id}:${service}`,
    system: system.id,
    async *pages(cursor, { since }) {
      const from = since ?? cursor ?? new Date(now().getTime() - (options.initialLookbackMs ?? 86_400_000)).toISOString();
      const answer =
        service === SinceService.radiees
          ? await system.radieesDepuis(new Date(from))
          : await system.nouveauxDaloDepuis(new Date(from));
      const next = new Date(answer.requestedAt.getTime() - overlap).toISOString();
      const sourceAt = answer.requestedAt.toISOString();
      const records: PulledRecord[] = answer.demandes.map((r) => ({
        result: r.ok ? r : { ok: false, issues: r.issues, ...(r.numUnique ? { numUnique: r.numUnique } : {}) },
        sourceAt,
        index: r.index,
      }));
      if (records.length === 0) {
        yield { records, cursor: next > from ? next : from };
        return;
      }
      for (let i = 0; i < records.length; i += pageSize) {
        const last = i + pageSize >= records.length;
        // The cursor moves only with the last page: an interrupted run asks again from the same date.
        yield { records: records.slice(i, i + pageSize), ...(last ? { cursor: next > from ? next : from } : {}) };
      }
    },
  };
}

/** Targeted reads (`getDemandeLogement`) of given demands: a repair or a manual re-pull. */
export function createTargetedSource(system: DemandSystem, numUniques: readonly string[], now: () => Date = () => new Date()): PullSource {
  return {
    id: `${system.id}:demande`,
    system: system.id,
    async *pages() {
      const records: PulledRecord[] = [];
      for (const nu of numUniques) {
        const r = await system.getDemande(nu);
        if (!r) continue;
        records.push({ result: r.ok ? r : { ok: false, issues: r.issues, numUnique: nu }, sourceAt: now().toISOString() });
      }
      yield { records };
    },
  };
}
