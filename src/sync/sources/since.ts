/**
 * The "since" services of a registration system (`getDemandesRadieesDepuisLe`,
 * `getNouveauxDaloDepuisLe`) as pull sources. The cursor is the time of the last successful request,
 * less an overlap for clock skew between the gateway and the system: a demand seen twice is harmless
 * (the ledger finds it unchanged), a demand missed is not.
 */
import { classOf, ErrorClass, isGatewayError } from '../../errors';
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

export interface TargetedSourceOptions {
  now?: () => Date;
  /** Demands read per page (default 50): a failed attempt resumes after the last page committed. */
  pageSize?: number;
  /** Tries per read when it fails with a transient error (default 3), and the first pause (default 200 ms). */
  readTries?: number;
  retryBaseMs?: number;
  /** The longest pause a `Retry-After` may impose before the read is left to the job's own retry (default 30 s). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Targeted reads (`getDemandeLogement`) of given demands: a repair or a manual re-pull. Read in pages
 * whose cursor belongs to the run (its position in this list, meaningless to another run): a retried
 * or restarted attempt goes on after the last page committed. A read that fails with a transient error
 * is tried again a few times first (a read has no effect): one slow answer among many does not cost
 * the page.
 */
export function createTargetedSource(system: DemandSystem, numUniques: readonly string[], options: TargetedSourceOptions = {}): PullSource {
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 50;
  const tries = Math.max(1, options.readTries ?? 3);
  const baseMs = options.retryBaseMs ?? 200;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const sleep = options.sleep ?? pause;

  async function read(nu: string): Promise<Awaited<ReturnType<DemandSystem['getDemande']>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await system.getDemande(nu);
      } catch (e) {
        if (attempt >= tries || classOf(e) !== ErrorClass.transient) throw e;
        const asked = isGatewayError(e) && e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : 0;
        if (asked > maxRetryAfterMs) throw e;
        await sleep(Math.max(asked, baseMs * 2 ** (attempt - 1)));
      }
    }
  }

  return {
    id: `${system.id}:demande`,
    system: system.id,
    cursorScope: 'run',
    async *pages(cursor) {
      const from = cursor !== undefined && /^\d+$/.test(cursor) ? Math.min(Number(cursor), numUniques.length) : 0;
      for (let i = from; i < numUniques.length || (i === 0 && numUniques.length === 0); i += pageSize) {
        const end = Math.min(numUniques.length, i + pageSize);
        const records: PulledRecord[] = [];
        for (const nu of numUniques.slice(i, end)) {
          const r = await read(nu);
          if (!r) continue;
          records.push({ result: r.ok ? r : { ok: false, issues: r.issues, numUnique: nu }, sourceAt: now().toISOString() });
        }
        yield { records, cursor: String(end) };
        if (numUniques.length === 0) return;
      }
    },
  };
}
