/**
 * Seeded synthetic events of the local shared-management tool (domain.md §2, §6-§8): what the local
 * tool records day after day about the demands it shares, for the demo, tests and benchmarks.
 *
 * The events come out of a small discrete-event simulation, so each demand lives a coherent story:
 * - **dwelling episodes**: a bailleur frees a dwelling; three to five candidates (one for a DALO
 *   designation) are designated, registered in a CAL session, offered a visit (proposed, done), then
 *   the CAL decides for each of them (the five kinds of R441-3). Ranked candidates refuse or accept in
 *   turn: the first who accepts signs the lease (`attribution`, radiation `RADATT`), those ranked below
 *   are "attributed but not housed" and stay active. A decision under condition is followed by the
 *   request of the missing document; a non-receivability by the `RADIRR` radiation one month later;
 * - **the life of a demand** between episodes: rectifications, labels (source, date), contingents,
 *   requests for documents (unanswered ones end in `RADCON`), written renunciations (`RADABA`), yearly
 *   renewals (or `RADREN` when the applicant lets the demand lapse), and reactivations after a radiation.
 *
 * Events come out in chronological order, `occurredAt` strictly increasing per demand, and every state
 * change is checked when the event fires (no rectification of a radiated demand, no reactivation of an
 * active one), so a registration system that applies them in order never sees a contradiction.
 *
 * Codes come from the mapping tables (documents, reasons, réservataires, RPLS ids, radiation motifs and
 * sub-motifs), sometimes in the local tool's own spelling (`mappings/local/codes.yaml`), so every event
 * passes `prepareEvenement` and `translateEvenementForSne`; `invalidShare` adds events the mapping
 * rejects, for demonstrations of dead letters.
 *
 * A stream is a pure function of (seed, demands, start, tables, options): one generator drawn in order,
 * no `Math.random`, no wall clock. Synthetic data only.
 */
import { ValidationError, type Issue } from '../errors';
import { addDays, addMonths, codesOf, expiryDate, type Demande, type IsoDate } from '../domain';
import { DecisionCalKind, EvenementType, StatutVisite, type EvenementType as EvenementTypeT, type LogementRef } from '../domain/evenement';
import type { LocalCodeList, MappingTables } from '../mapping';
import { Rng, type Seed } from './prng';
import { commonStreets, DEFAULT_TERRITORY, isTerritoryKey, territories, type CommunePreset, type TerritoryPreset } from './territories';

/** An event as the local tool records it (the body of `POST /evenements`), with its deterministic id. */
export interface SyntheticEvenement {
  /** `evt-<seed>-<n>`: n counts the events of the stream from 0. */
  id: string;
  numUnique: string;
  type: string;
  /** ISO 8601 in UTC. */
  occurredAt: string;
  payload: Record<string, unknown>;
}

/**
 * Who radiates a demand the CAL found non-receivable (R441-3 e), one month after the warning: the local
 * tool records the `RADIRR` radiation itself (`event`, pair it with the gateway's follow-up mode `flag`),
 * or the gateway's scheduled follow-up does (`gateway`: no radiation event, the demand gets no further
 * event, so the two never contradict each other).
 */
export const IrrecevabiliteFollowUp = { event: 'event', gateway: 'gateway' } as const;
export type IrrecevabiliteFollowUp = (typeof IrrecevabiliteFollowUp)[keyof typeof IrrecevabiliteFollowUp];

/** What makes an event of `invalidShare` rejected by the mapping. */
export const InvalidKind = {
  /** A code neither local nor canonical on a list of `local/codes.yaml`: dead-lettered at intake. */
  unknownLocalCode: 'unknownLocalCode',
  /** A decision by rank without its rank (R441-3 b). */
  rankWithoutRank: 'rankWithoutRank',
  /** A `RADIRR` radiation without its sub-motif. */
  radirrWithoutSousMotif: 'radirrWithoutSousMotif',
  /** An attribution of a dwelling without RPLS id whose rent is missing (R441-2-9). */
  attributionWithoutRent: 'attributionWithoutRent',
  /** A non-attribution resting only on a reason that can never be alone ("no link with the commune"). */
  reasonNeverAlone: 'reasonNeverAlone',
  /** An attribution charged to a réservataire the bailleur has no convention with. */
  unknownReservataire: 'unknownReservataire',
} as const;
export type InvalidKind = (typeof InvalidKind)[keyof typeof InvalidKind];

export interface EvenementsOptions {
  seed: Seed;
  /** The demands the events are about; only registered (numUnique), non-radiated ones play. */
  demandes: readonly Demande[];
  /** When the first events occur. */
  start: Date;
  mappings: MappingTables;
  /** Territory preset for dwelling addresses and label issuers (default `rennes-metropole`). */
  territory?: string;
  /**
   * Demands in play at once (default 64): one that leaves (housed, radiated for good, or given an
   * invalid event) is replaced by the next demand of the list. Fewer demands in play make every kind of
   * event appear sooner in the stream.
   */
  concurrent?: number;
  /** Share (0 to 0.5, default 0) of events the mapping rejects; each is its demand's last event. */
  invalidShare?: number;
  /** Share (0 to 1, default 0.25) of codes written in the local tool's spelling when it has one. */
  localSpellingShare?: number;
  /** Default `event`. */
  irrecevabiliteFollowUp?: IrrecevabiliteFollowUp;
}

export interface GenerateEvenementsOptions extends EvenementsOptions {
  /** Number of events (or give `perDemande`). */
  count?: number;
  /** Events per playing demand on average: `count` = perDemande × the number of playable demands. */
  perDemande?: number;
}

// ---- time ------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const dayStart = (date: IsoDate): number => Date.parse(`${date}T00:00:00Z`);
const dateOf = (ms: number): IsoDate => new Date(ms).toISOString().slice(0, 10);

// ---- tuning (per story day of one demand, or per episode) -------------------------------------------

const RATES = {
  /** Mean days between two actions of a demand's own life (rectification, label...). */
  actionGapDays: 35,
  /** Episodes per free demand in play and per day. */
  episodesPerDemandDay: 0.0016,
  /** A renewal forgotten: the demand lapses (`RADREN`), higher when it already expired. */
  lapse: 0.08,
  lapseExpired: 0.3,
  /** A request for documents left unanswered ends in `RADCON`. */
  noAnswer: 0.14,
  /** A ranked or chosen candidate refuses the offer. */
  refusal: 0.35,
  /** A candidate not chosen withdraws after the visit, before the session. */
  withdrawal: 0.25,
  /** One candidate of a session is non-receivable. */
  irrecevabilite: 0.22,
  /** The document awaited by a decision under condition comes in time. */
  conditionMet: 0.75,
  /** A DALO designation (one candidate) when a free demand holds an active DALO decision. */
  daloDesignation: 0.25,
} as const;

/** Actions of a demand's own life, by weight. */
const ACTIONS = [
  ['rectification', 30],
  ['label', 14],
  ['contingent', 10],
  ['demandePieces', 16],
  ['renonciation', 3],
] as const;
type Action = (typeof ACTIONS)[number][0];

const EPISODE_KINDS = [
  ['ranked', 42],
  ['single', 28],
  ['condition', 20],
  ['none', 10],
] as const;
type EpisodeKind = (typeof EPISODE_KINDS)[number][0];

/**
 * Reactivation after a radiation: its chance and delay in days, by motif (SPTA practice: a demand
 * radiated for no answer is reactivable for 5 months, one not renewed until 18 months).
 */
const REACTIVATION: Readonly<Record<string, { chance: number; minDays: number; maxDays: number }>> = {
  RADABA: { chance: 0.3, minDays: 10, maxDays: 120 },
  RADCON: { chance: 0.6, minDays: 3, maxDays: 60 },
  RADREN: { chance: 0.6, minDays: 3, maxDays: 90 },
  RADIRR: { chance: 0.3, minDays: 15, maxDays: 120 },
};

const LABEL_SOURCES = [
  ['PDALHPD', 20],
  ['CIA', 20],
  ['L441', 20],
  ['PPGD', 10],
  ['ACD', 10],
  ['ACI', 10],
  ['DALO', 10],
] as const;

/** Free texts for a reason "other": short, generic, never logged. */
const PRECISIONS: readonly string[] = [
  'Le ménage a trouvé une solution dans le parc privé',
  'Le logement ne permet pas le stationnement du véhicule professionnel',
  'Le candidat souhaite attendre la rentrée scolaire',
  'La commission a privilégié une mutation interne',
  'Le ménage souhaite rester près de sa famille',
  'Le logement est trop éloigné du lieu de soins',
];

/** Surface (m²) and rent (€) ranges by number of rooms, for a dwelling without RPLS id. */
const ROOMS: Readonly<Record<string, { surface: readonly [number, number]; rent: readonly [number, number] }>> = {
  T1: { surface: [18, 35], rent: [230, 330] },
  T2: { surface: [35, 55], rent: [280, 420] },
  T3: { surface: [55, 75], rent: [330, 520] },
  T4: { surface: [70, 90], rent: [400, 600] },
  T5: { surface: [85, 110], rent: [460, 700] },
  T6: { surface: [100, 130], rent: [520, 780] },
  T7: { surface: [115, 145], rent: [580, 860] },
  T8: { surface: [130, 160], rent: [640, 940] },
  T9P: { surface: [140, 190], rent: [700, 1050] },
};

// ---- entry points ----------------------------------------------------------------------------------

/** The events of a stream, one at a time, until every demand has left the play (effectively endless). */
export function iterateEvenements(options: EvenementsOptions): Generator<SyntheticEvenement, void, undefined> {
  const sim = new Simulation(resolve(options));
  return sim.run();
}

/**
 * The first `count` (or `perDemande` × playable demands) events of a stream, as an array; fewer when
 * every demand leaves the play before (a few demands, all housed or radiated for good).
 */
export function generateEvenements(options: GenerateEvenementsOptions): SyntheticEvenement[] {
  const issues: Issue[] = [];
  const { count, perDemande } = options;
  if ((count === undefined) === (perDemande === undefined)) {
    issues.push({ path: 'count', rule: 'one-of', message: 'give either count or perDemande' });
  }
  for (const [path, v] of [['count', count], ['perDemande', perDemande]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) issues.push({ path, rule: 'integer', message: 'must be a whole number ≥ 0' });
  }
  if (issues.length) throw new ValidationError('SYNTHETIC_OPTIONS', issues);
  const resolved = resolve(options);
  const total = count ?? (perDemande ?? 0) * resolved.pool.length;
  const out: SyntheticEvenement[] = [];
  if (total === 0) return out;
  for (const e of new Simulation(resolved).run()) {
    out.push(e);
    if (out.length >= total) break;
  }
  return out;
}

// ---- options -----------------------------------------------------------------------------------------

interface Resolved {
  seed: Seed;
  tag: string;
  pool: Demande[];
  start: number;
  tables: MappingTables;
  territory: TerritoryPreset;
  concurrent: number;
  invalidShare: number;
  localSpellingShare: number;
  irrecevabilite: IrrecevabiliteFollowUp;
}

function resolve(o: EvenementsOptions): Resolved {
  const issues: Issue[] = [];
  const start = o.start instanceof Date ? o.start.getTime() : Number.NaN;
  if (!Number.isFinite(start)) issues.push({ path: 'start', rule: 'date', message: 'must be a valid Date' });
  const key = o.territory ?? DEFAULT_TERRITORY;
  if (!isTerritoryKey(key)) issues.push({ path: 'territory', rule: 'known-territory', message: `must be one of ${Object.keys(territories).join(', ')}` });
  const concurrent = o.concurrent ?? 64;
  if (!Number.isSafeInteger(concurrent) || concurrent < 1) issues.push({ path: 'concurrent', rule: 'integer', message: 'must be a whole number ≥ 1' });
  const share = (path: string, v: number | undefined, max: number, fallback: number): number => {
    const value = v ?? fallback;
    if (!(value >= 0 && value <= max)) issues.push({ path, rule: 'range', message: `must be between 0 and ${max}` });
    return value;
  };
  const invalidShare = share('invalidShare', o.invalidShare, 0.5, 0);
  const localSpellingShare = share('localSpellingShare', o.localSpellingShare, 1, 0.25);
  const irrecevabilite = o.irrecevabiliteFollowUp ?? IrrecevabiliteFollowUp.event;
  if (irrecevabilite !== IrrecevabiliteFollowUp.event && irrecevabilite !== IrrecevabiliteFollowUp.gateway) {
    issues.push({ path: 'irrecevabiliteFollowUp', rule: 'enum', message: 'must be event or gateway' });
  }
  // Demands a registration system holds and may still process: registered and not radiated.
  const pool = o.demandes.filter((d) => d.numUnique !== undefined && d.radiation === undefined);
  if (pool.length === 0) {
    issues.push({ path: 'demandes', rule: 'playable-demand', message: 'needs at least one registered (numUnique), non-radiated demand' });
  }
  if (!o.mappings || o.mappings.conventions.bailleurs.length === 0) {
    issues.push({ path: 'mappings', rule: 'bailleur', message: 'reservataires/conventions.yaml needs at least one bailleur (dwellings belong to them)' });
  }
  if (issues.length) throw new ValidationError('SYNTHETIC_OPTIONS', issues);
  return {
    seed: o.seed,
    // Event ids allow letters, digits and `._:-` only, 64 at most.
    tag: String(o.seed).replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 40) || 'seed',
    pool,
    start,
    tables: o.mappings,
    territory: territories[key as keyof typeof territories],
    concurrent,
    invalidShare,
    localSpellingShare,
    irrecevabilite,
  };
}

// ---- the simulation --------------------------------------------------------------------------------

const ActorState = { active: 'active', radiated: 'radiated', housed: 'housed', gone: 'gone' } as const;
type ActorState = (typeof ActorState)[keyof typeof ActorState];

interface Actor {
  numUnique: string;
  /** The demand as the local tool holds it now (what a rectification sends). */
  demande: Demande;
  state: ActorState;
  /** Time of its last event: the next one is later. */
  clock: number;
  /** In an episode or waiting for a radiation already decided: takes no part in anything else. */
  busy: boolean;
  /** Tokens: a scheduled task whose token is stale was cancelled. */
  lifeToken: number;
  renewalToken: number;
}

interface Task {
  at: number;
  tie: number;
  run: (at: number) => void;
}

/** A binary min-heap of tasks by time, then by scheduling order (deterministic). */
class Agenda {
  private readonly heap: Task[] = [];
  private ties = 0;

  push(at: number, run: (at: number) => void): void {
    const h = this.heap;
    h.push({ at, tie: this.ties++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

const before = (a: Task, b: Task): boolean => a.at < b.at || (a.at === b.at && a.tie < b.tie);

/** A dwelling of an episode and how events name it. */
interface Dwelling {
  ref: LogementRef;
  /** Without RPLS id: the description an attribution must give (R441-2-9). */
  description?: {
    adresse: { numero: string; voie: string; codePostal: string; commune: string };
    typeLogement: string;
    surface: number;
    qpv: string;
    loyer: number;
  };
}

/** One candidate's part of an episode: its events in order; the last one frees it. */
interface Step {
  at: number;
  make: (date: IsoDate) => Made | undefined;
  /** What follows the step; on the last step, instead of freeing the candidate (housed, radiated). */
  after?: (at: number) => void;
}
interface Made {
  type: EvenementTypeT;
  payload: Record<string, unknown>;
}

class Simulation {
  private readonly rng: Rng;
  private readonly agenda = new Agenda();
  private readonly out: SyntheticEvenement[] = [];
  private readonly playing: Actor[] = [];
  private next = 0;
  private emitted = 0;
  private invalid = 0;
  private episodes = 0;
  private readonly spellings: Map<string, Map<string, string[]>>;
  private readonly communes: Map<string, CommunePreset>;

  constructor(private readonly o: Resolved) {
    this.rng = Rng.forIndex(o.seed, 0, 0x45564e54); // 'EVNT': independent of the demands' generators
    this.spellings = localSpellings(o.tables);
    this.communes = new Map();
    for (const t of Object.values(territories)) {
      for (const c of [...t.communes, ...t.elsewhere, ...t.corsica]) if (!this.communes.has(c.insee)) this.communes.set(c.insee, c);
    }
  }

  *run(): Generator<SyntheticEvenement, void, undefined> {
    const n = Math.min(this.o.concurrent, this.o.pool.length);
    // Each demand acts first after a gap of its own (scheduleLife): the start is not a burst.
    for (let i = 0; i < n; i++) this.enter(this.o.start);
    this.agenda.push(this.o.start + this.rng.int(1, 48) * HOUR, (at) => this.episode(at));
    let cursor = 0;
    for (;;) {
      while (cursor >= this.out.length) {
        this.out.length = 0;
        cursor = 0;
        const task = this.agenda.pop();
        if (task === undefined) return;
        task.run(task.at);
      }
      yield this.out[cursor++]!;
    }
  }

  // ---- actors ---------------------------------------------------------------------------------------

  /** The next demand of the list enters the play at `now`. */
  private enter(now: number): void {
    const d = this.o.pool[this.next++];
    if (d === undefined) return;
    const floor = Math.max(
      dayStart(d.dateCreationDemande) + DAY,
      d.dateDernierRenouvellement === undefined ? 0 : dayStart(d.dateDernierRenouvellement) + DAY,
    );
    const actor: Actor = {
      numUnique: d.numUnique!,
      demande: structuredClone(d),
      state: ActorState.active,
      clock: Math.max(now, floor),
      busy: false,
      lifeToken: 0,
      renewalToken: 0,
    };
    this.playing.push(actor);
    this.scheduleLife(actor, actor.clock);
    this.scheduleRenewal(actor, actor.clock);
  }

  /** The demand leaves the play (housed, radiated for good, invalid event): the next one enters. */
  private leave(actor: Actor, state: ActorState, at: number): void {
    actor.state = state;
    actor.lifeToken++;
    actor.renewalToken++;
    const i = this.playing.indexOf(actor);
    if (i >= 0) this.playing.splice(i, 1);
    this.enter(at + this.rng.int(1, 72) * HOUR);
  }

  private free(actor: Actor, at: number): void {
    actor.busy = false;
    if (actor.state === ActorState.active) this.scheduleLife(actor, at);
  }

  private scheduleLife(actor: Actor, from: number): void {
    const token = ++actor.lifeToken;
    const day = dateOf(from + DAY + this.exp(RATES.actionGapDays * DAY));
    this.agenda.push(this.at(day), (at) => {
      if (actor.lifeToken !== token || actor.state !== ActorState.active || actor.busy) return;
      this.life(actor, at);
    });
  }

  /** The yearly renewal, in the month before expiry (or soon, when the demand already expired). */
  private scheduleRenewal(actor: Actor, now: number): void {
    const token = ++actor.renewalToken;
    const expiry = dayStart(expiryDate(actor.demande));
    const at = Math.max(expiry - this.rng.int(1, 30) * DAY, now + this.rng.int(1, 10) * DAY) + this.officeHours();
    this.agenda.push(at, (t) => {
      if (actor.renewalToken !== token || actor.state !== ActorState.active) return;
      const expired = dateOf(t) >= expiryDate(actor.demande);
      // A demand in an episode is always renewed: the household is waiting for a dwelling.
      if (!actor.busy && this.rng.chance(expired ? RATES.lapseExpired : RATES.lapse)) {
        this.lapse(actor, t);
        return;
      }
      this.emit(actor, t, (date) => {
        actor.demande = withRenewal(actor.demande, date);
        return { type: EvenementType.renouvellement, payload: { date } };
      });
      this.scheduleRenewal(actor, actor.clock);
    });
  }

  /** Not renewed: the system manager radiates the demand about a month after expiry (`RADREN`). */
  private lapse(actor: Actor, now: number): void {
    actor.busy = true;
    actor.lifeToken++;
    const expiry = dayStart(expiryDate(actor.demande));
    const at = Math.max(expiry + this.rng.int(30, 45) * DAY, now + this.rng.int(1, 15) * DAY) + this.officeHours();
    this.agenda.push(at, (t) => this.radiate(actor, t, 'RADREN'));
  }

  /** A radiation other than `RADATT`; the demand may be reactivated later, or leaves the play. */
  private radiate(actor: Actor, at: number, motif: string, sousMotif?: string, date?: IsoDate): void {
    if (actor.state !== ActorState.active) return;
    this.emit(actor, at, (d) => {
      const day = date !== undefined && date >= d ? date : d;
      actor.demande = { ...actor.demande, radiation: sousMotif === undefined ? { motif, date: day } : { motif, sousMotif, date: day } };
      return {
        type: EvenementType.radiation,
        payload: {
          motif: this.spell('motifRadiation', motif),
          ...(sousMotif === undefined ? {} : { sousMotif: this.spell('sousMotifRadiation', sousMotif) }),
          date: day,
        },
      };
    });
    actor.state = ActorState.radiated;
    actor.busy = false;
    actor.lifeToken++;
    actor.renewalToken++;
    const r = REACTIVATION[motif];
    if (r === undefined || !this.rng.chance(r.chance)) {
      this.leave(actor, ActorState.gone, actor.clock);
      return;
    }
    this.agenda.push(this.at(addDays(dateOf(actor.clock), this.rng.int(r.minDays, r.maxDays))), (t) => this.reactivate(actor, t));
  }

  private reactivate(actor: Actor, at: number): void {
    if (actor.state !== ActorState.radiated) return;
    this.emit(actor, at, (date) => {
      const { radiation: _gone, ...rest } = actor.demande;
      actor.demande = rest;
      return { type: EvenementType.reactivation, payload: { date } };
    });
    actor.state = ActorState.active;
    this.scheduleLife(actor, actor.clock);
    this.scheduleRenewal(actor, actor.clock);
  }

  // ---- a demand's own life -------------------------------------------------------------------------

  private life(actor: Actor, at: number): void {
    if (this.o.invalidShare > 0 && this.invalid < this.o.invalidShare * (this.emitted + 1)) {
      this.emitInvalid(actor, at);
      return;
    }
    const weights = ACTIONS.map(([a, w]) => [a, a === 'label' && actor.demande.labels.length >= 18 ? 0 : w] as const);
    const action: Action = this.rng.weighted(weights);
    switch (action) {
      case 'rectification':
        this.emit(actor, at, () => {
          actor.demande = this.rectify(actor.demande);
          return { type: EvenementType.rectification, payload: { demande: structuredClone(actor.demande) } };
        });
        break;
      case 'label':
        this.emit(actor, at, (date) => this.label(actor, date));
        break;
      case 'contingent':
        this.emit(actor, at, () => this.contingent(actor));
        break;
      case 'demandePieces': {
        const limit = { value: '' };
        this.emit(actor, at, (date) => {
          limit.value = addDays(date, this.rng.int(15, 30));
          const pieces = this.rng.sample(Object.keys(this.o.tables.pieces.pieces), this.rng.weighted([[1, 50], [2, 35], [3, 15]] as const));
          return {
            type: EvenementType.demandePieces,
            payload: { date, pieces: pieces.map((p) => this.spell('piece', p)), dateLimite: limit.value },
          };
        });
        if (this.rng.chance(RATES.noAnswer)) {
          // No answer, then a warning letter: radiated one month after it (R441-2-8 c).
          actor.busy = true;
          actor.renewalToken++;
          const due = addMonths(addDays(limit.value, this.rng.int(1, 10)), 1);
          this.agenda.push(dayStart(due) + this.officeHours(), (t) => this.radiate(actor, t, 'RADCON'));
          return;
        }
        break;
      }
      case 'renonciation':
        this.radiate(actor, at, 'RADABA');
        return;
    }
    this.scheduleLife(actor, actor.clock);
  }

  private label(actor: Actor, date: IsoDate): Made {
    const source = this.rng.weighted(LABEL_SOURCES);
    const t = this.o.territory;
    const bailleur = this.rng.pick(this.o.tables.conventions.bailleurs);
    const emetteur: Record<string, string> = {
      DALO: `COMED-${t.department}`,
      PDALHPD: `PDALHPD-${t.department}`,
      PPGD: `PPGD-${t.shortCode}`,
      CIA: `CIA-${t.shortCode}`,
      ACD: `ACD-${t.department}`,
      ACI: `ACI-${t.shortCode}`,
      // Recognised by a réservataire or by the bailleur (article L441-1).
      L441: bailleur.reservataires.length > 0 && this.rng.chance(0.5) ? this.rng.pick(bailleur.reservataires).id : `BAILLEUR-${bailleur.siren}`,
    };
    const filed = actor.demande.dateCreationDemande;
    const back = addDays(date, -this.rng.int(0, 10));
    const label = { source, date: back > filed ? back : date, emetteur: emetteur[source] ?? source };
    const d = actor.demande;
    actor.demande = {
      ...d,
      labels: [...d.labels, label],
      ...(source === 'DALO' ? { dalo: { statut: 'ACTIF', dateDecision: label.date } } : {}),
      ...(source === 'ACD' || source === 'ACI' ? { accordCollectif: source } : {}),
    };
    return { type: EvenementType.label, payload: { ...label, source: this.spell('sourceLabel', source) } };
  }

  private contingent(actor: Actor): Made {
    const all = codesOf('typeReservataire').filter((c) => c !== 'AUCUN');
    const now = new Set(actor.demande.contingents.filter((c) => all.includes(c)));
    const missing = all.filter((c) => !now.has(c));
    if (missing.length > 0 && (now.size <= 1 || this.rng.chance(0.7))) now.add(this.rng.pick(missing));
    else if (now.size > 1) now.delete(this.rng.pick([...now]));
    const types = all.filter((c) => now.has(c));
    actor.demande = { ...actor.demande, contingents: types };
    return { type: EvenementType.contingent, payload: { types: types.map((c) => this.spell('typeReservataire', c)) } };
  }

  /** A plausible correction by an authorised person: contact, rent, resources, wishes. */
  private rectify(d: Demande): Demande {
    const out = structuredClone(d);
    const two = () => String(this.rng.int(0, 99)).padStart(2, '0');
    const options: Array<() => void> = [
      // Mobile numbers of the range ARCEP keeps for fiction.
      () => (out.demandeur.telPortable = `06 39 98 ${two()} ${two()}`),
      () => (out.logementRecherche.demandeElargie = !out.logementRecherche.demandeElargie),
    ];
    const rent = out.logementActuel?.montantMensuelLoyer;
    if (out.logementActuel && rent !== undefined) {
      const la = out.logementActuel;
      options.push(() => (la.montantMensuelLoyer = Math.max(0, rent + this.rng.int(-20, 40))));
    }
    const money = out.demandeur.ressourcesRecues;
    if (money.length > 0) {
      options.push(() => {
        const r = this.rng.pick(money);
        r.montant = Math.max(0, Math.round(r.montant * (0.9 + this.rng.next() * 0.2)));
      });
    }
    const wanted = out.logementRecherche.communes;
    const more = this.o.territory.communes.map((c) => c.insee).filter((c) => !wanted.includes(c));
    if (wanted.length < 10 && more.length > 0) options.push(() => wanted.push(this.rng.pick(more)));
    else if (wanted.length > 1) options.push(() => wanted.pop());
    this.rng.pick(options)();
    return out;
  }

  // ---- dwelling episodes -----------------------------------------------------------------------------

  private episode(now: number): void {
    // Nobody left in play (housed, or radiated for good): the stream ends.
    if (this.playing.length === 0) return;
    const free = this.playing.filter((a) => a.state === ActorState.active && !a.busy);
    const rate = Math.max(1, free.length) * RATES.episodesPerDemandDay;
    this.agenda.push(now + HOUR + this.exp(DAY / rate), (at) => this.episode(at));
    if (free.length === 0) return;

    const dalo = free.filter((a) => a.demande.dalo?.statut === 'ACTIF');
    let kind: EpisodeKind;
    let candidates: Actor[];
    if (dalo.length > 0 && this.rng.chance(RATES.daloDesignation)) {
      // A DALO designation: one candidate, attributed (R441-3: the three-candidate rule does not apply).
      kind = 'single';
      candidates = [this.rng.pick(dalo)];
    } else {
      kind = this.rng.weighted(EPISODE_KINDS);
      candidates = this.rng.sample(free, Math.min(free.length, this.rng.weighted([[3, 50], [4, 35], [5, 15]] as const)));
    }
    const n = ++this.episodes;
    const dwelling = this.dwelling(n, candidates[0]!);
    for (const c of candidates) {
      c.busy = true;
      c.lifeToken++;
    }
    const t0 = Math.max(now, ...candidates.map((c) => c.clock)) + HOUR;
    const d0 = dateOf(t0);
    // The session comes after every visit (at most 14 days after the episode starts).
    const session = addDays(d0, this.rng.int(16, 30));
    const steps: Step[][] = candidates.map(() => []);
    const visited: Array<IsoDate | undefined> = candidates.map(() => undefined);
    const ref = () => ({ ...dwelling.ref });

    // Designation, registration in the session, visit proposed then done: all before the session.
    candidates.forEach((_, i) => {
      const s = steps[i]!;
      const designated = addDays(d0, this.rng.int(1, 3));
      const registered = addDays(designated, this.rng.int(1, 3));
      s.push({ at: this.at(designated), make: (date) => ({ type: EvenementType.designation, payload: { date, logement: ref() } }) });
      s.push({ at: this.at(registered), make: () => ({ type: EvenementType.inscriptionCal, payload: { dateCommission: session, logement: ref() } }) });
      if (this.rng.chance(0.7)) {
        const proposed = addDays(registered, this.rng.int(1, 3));
        const visit = addDays(proposed, this.rng.int(2, 5));
        const visite = (statut: string) => (date: IsoDate): Made => ({
          type: EvenementType.visite,
          payload: { statut: this.spell('statutVisite', statut), date: statut === StatutVisite.proposee ? visit : date, logement: ref() },
        });
        s.push({ at: this.at(proposed), make: visite(StatutVisite.proposee) });
        if (this.rng.chance(0.8)) {
          s.push({ at: this.at(visit), make: visite(StatutVisite.effectuee) });
          visited[i] = visit;
        }
      }
    });

    // The decisions (R441-3), taken in the afternoon of the session.
    const decide = (i: number, decision: Record<string, unknown>) =>
      steps[i]!.push({
        at: dayStart(session) + this.rng.int(14 * 60, 19 * 60) * MINUTE,
        make: () => ({ type: EvenementType.decisionCal, payload: { dateCommission: session, logement: ref(), decision } }),
      });
    const kindCode = (k: DecisionCalKind) => this.spell('decisionCal', k);
    const ranked = kind === 'ranked' ? Math.min(candidates.length, this.rng.int(2, 4)) : 0;
    const chosen = kind === 'single' || kind === 'condition' ? 1 : ranked;
    const others = candidates.map((_, i) => i).filter((i) => i >= chosen);
    // Non-receivability rests on legal access conditions: irregular stay (non-EU foreigners only) or
    // resources above the ceiling; the first is a frequent reason among foreign candidates.
    const foreign = others.filter((i) => candidates[i]!.demande.demandeur.nationalite === '3');
    const irrecevable =
      others.length === 0 || !this.rng.chance(RATES.irrecevabilite)
        ? -1
        : this.rng.pick(foreign.length > 0 && this.rng.chance(0.7) ? foreign : others);

    for (let i = 0; i < candidates.length; i++) {
      if (i < ranked) {
        decide(i, { kind: kindCode(DecisionCalKind.attributionRang), rang: i + 1, ...(this.rng.chance(0.9) ? { nombreClasses: ranked } : {}) });
      } else if (i === 0 && kind === 'single') {
        decide(i, { kind: kindCode(DecisionCalKind.attribution) });
      } else if (i === 0 && kind === 'condition') {
        const piece = this.rng.pick(Object.keys(this.o.tables.pieces.pieces));
        const deadline = addDays(session, this.rng.int(10, 20));
        decide(i, { kind: kindCode(DecisionCalKind.attributionSousCondition), pieceManquante: this.spell('piece', piece), dateLimite: deadline });
        // The request of the missing document follows the decision.
        const asked = addDays(session, this.rng.int(1, 3));
        steps[i]!.push({
          at: this.at(asked),
          make: (date) => ({ type: EvenementType.demandePieces, payload: { date, pieces: [this.spell('piece', piece)], dateLimite: deadline } }),
        });
      } else if (i === irrecevable) {
        this.irrecevable(candidates[i]!, steps[i]!, session, (decision) => decide(i, decision), kindCode);
      } else if (visited[i] !== undefined && this.rng.chance(RATES.withdrawal)) {
        // Refuses the dwelling after the visit: the file is withdrawn from the session.
        const refused = addDays(visited[i]!, this.rng.int(1, 2));
        steps[i]!.push({ at: this.at(refused), make: (date) => this.refusal(date, ref()) });
      } else {
        decide(i, { kind: kindCode(DecisionCalKind.nonAttribution), motifs: this.nonAttributionReasons() });
      }
    }

    // Who signs the lease: the ranked candidates in turn, the chosen one, or the one under condition.
    let t = session;
    const offer = (i: number, leaseFrom: IsoDate): boolean => {
      if (this.rng.chance(RATES.refusal)) {
        const refused = addDays(t, this.rng.int(2, 8));
        t = refused;
        steps[i]!.push({ at: this.at(refused), make: (date) => this.refusal(date, ref()) });
        return false;
      }
      const lease = addDays(leaseFrom > t ? leaseFrom : t, this.rng.int(7, 25));
      const actor = candidates[i]!;
      steps[i]!.push({
        at: this.at(lease),
        make: (date) => this.attribution(actor, dwelling, date, session),
        after: (at) => this.leave(actor, ActorState.housed, at),
      });
      return true;
    };
    if (kind === 'ranked') {
      for (let i = 0; i < ranked; i++) if (offer(i, session)) break;
    } else if (kind === 'single') {
      offer(0, session);
    } else if (kind === 'condition' && this.rng.chance(RATES.conditionMet)) {
      t = addDays(session, 3);
      offer(0, session);
    }

    for (let i = 0; i < candidates.length; i++) this.play(candidates[i]!, steps[i]!);
  }

  /** Non-receivability (R441-3 e): warned, then radiated `RADIRR` one month later. */
  private irrecevable(
    actor: Actor,
    steps: Step[],
    session: IsoDate,
    decide: (decision: Record<string, unknown>) => void,
    kindCode: (k: DecisionCalKind) => string,
  ): void {
    const sousMotifs = this.o.tables.radiation.motifs.RADIRR?.sousMotifs ?? ['IRRSEJ', 'IRRRES'];
    // Irregular stay only concerns foreigners outside the EU; resources above the ceiling anyone.
    const foreign = actor.demande.demandeur.nationalite === '3';
    const sousMotif = sousMotifs.includes('IRRSEJ') && foreign && this.rng.chance(0.75) ? 'IRRSEJ' : (sousMotifs.find((s) => s !== 'IRRSEJ') ?? sousMotifs[0]!);
    const notified = this.rng.chance(0.8) ? addDays(session, this.rng.int(1, 5)) : undefined;
    decide({
      kind: kindCode(DecisionCalKind.irrecevabilite),
      sousMotif: this.spell('sousMotifRadiation', sousMotif),
      ...(notified === undefined ? {} : { dateNotification: notified }),
    });
    const due = addMonths(notified ?? session, this.o.tables.radiation.motifs.RADIRR?.delayMonths ?? 1);
    const decision = steps[steps.length - 1]!;
    if (this.o.irrecevabilite === IrrecevabiliteFollowUp.gateway) {
      // The gateway's follow-up radiates it: this demand gets no further event.
      decision.after = (at) => this.leave(actor, ActorState.gone, at);
      return;
    }
    // A demand about to be radiated is not renewed any more.
    decision.after = () => {
      actor.renewalToken++;
    };
    steps.push({
      at: this.at(due),
      make: () => undefined,
      after: (at) => this.radiate(actor, at, 'RADIRR', sousMotif, due),
    });
  }

  /** Runs a candidate's steps in order; after the last one, the candidate is free again. */
  private play(actor: Actor, steps: Step[]): void {
    const go = (k: number) => {
      const step = steps[k];
      if (step === undefined) return;
      this.agenda.push(step.at, (at) => {
        if (actor.state !== ActorState.active) return;
        this.emit(actor, at, (date) => step.make(date));
        // A step without an event of its own (a radiation due later) acts at its own time.
        const now = Math.max(at, actor.clock);
        if (step.after) step.after(now);
        else if (k === steps.length - 1) this.free(actor, now);
        if (k < steps.length - 1) go(k + 1);
      });
    };
    go(0);
  }

  private dwelling(n: number, first: Actor): Dwelling {
    const tables = this.o.tables;
    const bailleur = this.rng.pick(tables.conventions.bailleurs);
    const siren = bailleur.siren;
    const known = Object.entries(tables.rpls[siren]?.logements ?? {});
    const kind = this.rng.weighted([['rpls', 45], ['table', known.length > 0 ? 15 : 0], ['new', 40]] as const);
    const number = String(n).padStart(6, '0');
    if (kind === 'table') {
      const [localId] = this.rng.pick(known);
      return { ref: { bailleurSiren: siren, bailleurLogementId: localId } };
    }
    if (kind === 'rpls') {
      // 'S' + 9 digits, distinct for a billion episodes (7919 is prime to 10^9).
      const rpls = `S${String((n * 7919 + (this.rng.u32() % 1000)) % 1_000_000_000).padStart(9, '0')}`;
      return { ref: { bailleurSiren: siren, rpls, ...(this.rng.chance(0.5) ? { bailleurLogementId: `LGT-${number}` } : {}) } };
    }
    // A new dwelling: no RPLS id yet, so every attribution describes it.
    let localId = `NEUF-${number}`;
    while (known.some(([id]) => id === localId)) localId = `${localId}B`;
    const wanted = first.demande.logementRecherche;
    const commune = this.communes.get(this.rng.pick(wanted.communes)) ?? this.o.territory.communes[0]!;
    const rooms = roomsFor(this.rng, this.rng.pick(wanted.typesLogement));
    const range = ROOMS[rooms] ?? ROOMS.T3!;
    return {
      ref: { bailleurSiren: siren, bailleurLogementId: localId },
      description: {
        adresse: {
          numero: String(this.rng.int(1, 150)),
          voie: this.rng.pick(commune.streets && this.rng.chance(0.7) ? commune.streets : commonStreets),
          codePostal: this.rng.pick(commune.postcodes),
          commune: commune.insee,
        },
        typeLogement: rooms,
        surface: this.rng.int(range.surface[0] * 10, range.surface[1] * 10) / 10,
        qpv: this.rng.weighted([['ZUSOUI', 30], ['ZUSNON', 65], ['ZUSNSP', 5]] as const),
        loyer: this.rng.int(range.rent[0], range.rent[1]),
      },
    };
  }

  private nonAttributionReasons(): Array<{ code: string; precision?: string }> {
    const entries = Object.entries(this.o.tables.motifsNonAttribution.motifs);
    const alone = entries.filter(([, m]) => !m.neverAlone);
    const count = this.rng.weighted([[1, 70], [2, 30]] as const);
    // At least one reason that may stand alone (R441-3 d), first.
    const picked = [this.rng.pick(alone)];
    if (count === 2) {
      const rest = entries.filter(([c]) => c !== picked[0]![0]);
      if (rest.length > 0) picked.push(this.rng.pick(rest));
    }
    return picked.map(([c, m]) => ({ code: this.spell('motifNonAttribution', c), ...(m.precisionRequired ? { precision: this.rng.pick(PRECISIONS) } : {}) }));
  }

  private refusal(date: IsoDate, logement: LogementRef): Made {
    const [motif, entry] = this.rng.pick(Object.entries(this.o.tables.motifsRefus.motifs));
    return {
      type: EvenementType.refus,
      payload: { date, motif: this.spell('motifRefus', motif), ...(entry.precisionRequired ? { precision: this.rng.pick(PRECISIONS) } : {}), logement },
    };
  }

  /** The attribution report (R441-2-9) at the lease signature, which radiates the demand (`RADATT`). */
  private attribution(actor: Actor, dwelling: Dwelling, lease: IsoDate, session: IsoDate | undefined): Made {
    const d = actor.demande;
    const dalo = d.dalo?.statut === 'ACTIF' || d.dalo?.statut === 'ACTREL';
    const sources = new Set(d.labels.map((l) => l.source));
    const prioritaire = dalo || sources.has('L441') || sources.has('PDALHPD') || sources.has('DALO');
    const criteres = prioritaire ? this.rng.sample(Object.keys(this.o.tables.priorites.criteres), this.rng.int(1, 2)) : [];
    actor.demande = { ...d, radiation: { motif: 'RADATT', date: lease } };
    return {
      type: EvenementType.attribution,
      payload: {
        logement: {
          ...dwelling.ref,
          ...(dwelling.description === undefined
            ? {}
            : {
                ...dwelling.description,
                typeLogement: this.spell('typeLogementRpls', dwelling.description.typeLogement),
                qpv: this.spell('qpv', dwelling.description.qpv),
              }),
        },
        imputation: this.imputation(actor, dwelling.ref.bailleurSiren, lease),
        dalo,
        cia: sources.has('CIA'),
        accordCollectif: this.spell('accordCollectif', d.accordCollectif ?? 'NONDOC'),
        prioritaireL441: prioritaire,
        ...(criteres.length ? { criteresL441: criteres.map((c) => this.spell('critereL441', c)) } : {}),
        dateSignatureBail: lease,
        mutationInterne: (d.logementActuel?.modeles ?? []).includes('HLM') && this.rng.chance(0.5),
        ...(session !== undefined && this.rng.chance(0.9) ? { dateCommission: session } : {}),
      },
    };
  }

  /** Charged to a réservataire's flow whose convention is valid at the lease date, or to the bailleur. */
  private imputation(actor: Actor, siren: string, lease: IsoDate): Record<string, unknown> {
    const bailleur = this.o.tables.conventions.bailleurs.find((b) => b.siren === siren);
    const valid = (bailleur?.reservataires ?? []).filter(
      (r) => (r.validFrom === undefined || r.validFrom <= lease) && (r.validTo === undefined || lease <= r.validTo),
    );
    if (valid.length === 0 || this.rng.chance(0.25)) return { type: this.spell('imputation', 'bailleur') };
    const eligible = valid.filter((r) => actor.demande.contingents.includes(r.type));
    const r = this.rng.pick(eligible.length > 0 && this.rng.chance(0.8) ? eligible : valid);
    return { type: this.spell('imputation', 'reservataire'), reservataireId: this.spell('reservataire', r.id) };
  }

  // ---- invalid events ------------------------------------------------------------------------------

  /** An event the mapping rejects; the demand leaves the play (its dead letter blocks it anyway). */
  private emitInvalid(actor: Actor, at: number): void {
    const tables = this.o.tables;
    const lists = tables.localCodes.lists;
    const neverAlone = Object.entries(tables.motifsNonAttribution.motifs).find(([, m]) => m.neverAlone);
    const kinds: InvalidKind[] = [InvalidKind.rankWithoutRank, InvalidKind.radirrWithoutSousMotif, InvalidKind.attributionWithoutRent, InvalidKind.unknownReservataire];
    if (['decisionCal', 'piece', 'motifNonAttribution'].some((l) => Object.prototype.hasOwnProperty.call(lists, l))) kinds.push(InvalidKind.unknownLocalCode);
    if (neverAlone) kinds.push(InvalidKind.reasonNeverAlone);
    const kind = this.rng.pick(kinds);
    const dwelling = this.dwelling(++this.episodes, actor);
    const logement = { ...dwelling.ref };
    this.emit(actor, at, (date) => {
      const session = date;
      const decision = (decision: Record<string, unknown>): Made => ({
        type: EvenementType.decisionCal,
        payload: { dateCommission: session, logement, decision },
      });
      switch (kind) {
        case InvalidKind.rankWithoutRank:
          return decision({ kind: DecisionCalKind.attributionRang, nombreClasses: 3 });
        case InvalidKind.radirrWithoutSousMotif:
          return { type: EvenementType.radiation, payload: { motif: 'RADIRR', date } };
        case InvalidKind.reasonNeverAlone:
          return decision({ kind: DecisionCalKind.nonAttribution, motifs: [{ code: this.spell('motifNonAttribution', neverAlone![0]) }] });
        case InvalidKind.unknownLocalCode: {
          const unknown = `LOCAL-INCONNU-${this.rng.int(1, 99)}`;
          if (Object.prototype.hasOwnProperty.call(lists, 'decisionCal')) return decision({ kind: unknown });
          if (Object.prototype.hasOwnProperty.call(lists, 'piece')) return { type: EvenementType.demandePieces, payload: { date, pieces: [unknown] } };
          return decision({ kind: DecisionCalKind.nonAttribution, motifs: [{ code: unknown }] });
        }
        case InvalidKind.attributionWithoutRent:
        case InvalidKind.unknownReservataire: {
          const made = this.attribution(actor, kind === InvalidKind.attributionWithoutRent ? this.newDwelling(actor) : dwelling, date, undefined);
          const payload = made.payload as { logement: Record<string, unknown>; imputation: Record<string, unknown> };
          if (kind === InvalidKind.attributionWithoutRent) delete payload.logement.loyer;
          else payload.imputation = { type: 'reservataire', reservataireId: 'RESERVATAIRE-INCONNU' };
          return made;
        }
      }
    });
    this.invalid++;
    this.leave(actor, ActorState.gone, actor.clock);
  }

  private newDwelling(actor: Actor): Dwelling {
    for (;;) {
      const d = this.dwelling(++this.episodes, actor);
      if (d.description !== undefined) return d;
    }
  }

  // ---- output ----------------------------------------------------------------------------------------

  /** Records one event of a demand, strictly after its previous one. */
  private emit(actor: Actor, at: number, make: (date: IsoDate) => Made | undefined): void {
    const time = Math.max(at, actor.clock + MINUTE + this.rng.int(0, 59) * 1000);
    const made = make(dateOf(time));
    if (made === undefined) return;
    actor.clock = time;
    this.out.push({
      id: `evt-${this.o.tag}-${this.emitted++}`,
      numUnique: actor.numUnique,
      type: this.spell('typeEvenement', made.type),
      occurredAt: new Date(time).toISOString(),
      payload: made.payload,
    });
  }

  /** A time on that day, during office hours. */
  private at(date: IsoDate): number {
    return dayStart(date) + this.officeHours();
  }

  private officeHours(): number {
    return this.rng.int(8 * 60, 18 * 60) * MINUTE;
  }

  private exp(mean: number): number {
    return -Math.log(1 - this.rng.next()) * mean;
  }

  /**
   * A canonical code as the local tool writes it: sometimes its own spelling (local/codes.yaml), and
   * never a canonical code the table translates into another one.
   */
  private spell(list: LocalCodeList, canonical: string): string {
    const table = this.o.tables.localCodes.lists[list];
    if (table === undefined) return canonical;
    const locals = this.spellings.get(list)?.get(canonical) ?? [];
    const shadowed = Object.prototype.hasOwnProperty.call(table, canonical) && table[canonical] !== canonical;
    if (locals.length > 0 && (shadowed || this.rng.chance(this.o.localSpellingShare))) return this.rng.pick(locals);
    return canonical;
  }
}

/** Per list: canonical code -> the local codes that translate to it. */
function localSpellings(tables: MappingTables): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [list, entries] of Object.entries(tables.localCodes.lists)) {
    const m = new Map<string, string[]>();
    for (const [local, canonical] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      m.set(canonical, [...(m.get(canonical) ?? []), local]);
    }
    out.set(list, m);
  }
  return out;
}

function withRenewal(d: Demande, date: IsoDate): Demande {
  const { dateExpiration: _gone, ...rest } = d;
  return { ...rest, dateDernierRenouvellement: date };
}

/** The RPLS room count of a dwelling for a wanted type (`C`..`T6P`); large ones go up to `T9P`. */
function roomsFor(rng: Rng, wanted: string): string {
  if (wanted === 'C' || wanted === 'T1') return 'T1';
  if (wanted === 'T6P') return rng.weighted([['T6', 55], ['T7', 25], ['T8', 12], ['T9P', 8]] as const);
  return /^T[2-5]$/.test(wanted) ? wanted : 'T3';
}
