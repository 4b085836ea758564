/**
 * Test support of the push pipeline: an in-memory `DemandSystem` double that records every write in
 * order and can be told to fail (transient, permanent, ambiguous before or after writing), and a
 * harness wiring the real pipeline on real Redis (unique prefix) and the local-tool simulator.
 * Synthetic data only.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemandeResult } from '../../src/codec';
import { Demande, type DemandeInput } from '../../src/domain';
import { AmbiguousError, PermanentError, TransientError } from '../../src/errors';
import { captureLogs } from '../../src/logging';
import { Circuit, type CircuitState } from '../../src/queue/circuit';
import { PayloadCipher } from '../../src/queue/crypto';
import { keys as makeKeys, type Keys } from '../../src/queue/keys';
import { DemandLocks } from '../../src/queue/locks';
import { closeRedis, createRedis } from '../../src/queue/redis';
import { CursorStore } from '../../src/state/cursors';
import { DeadLetterStore } from '../../src/state/dead-letters';
import { RunStore } from '../../src/state/runs';
import { generateDemandes } from '../../src/synthetic';
import type { Acquittement, LocalClient, NewEvenement } from '../../src/systems/local';
import type { DemandesDepuis, DemandSystem, Doublon, SubmitRequest, SubmitResult } from '../../src/systems/port';
import {
  createPushPipeline,
  createReplayer,
  watchedMappings,
  type FollowUpMode,
  type PushPipeline,
  type PushPipelineOptions,
  type Replayer,
} from '../../src/push';
import { deleteByPrefix, REDIS_URL } from '../support/redis';
import { startTestLocal, TEST_KEY } from '../support/gateway';

export const FaultKind = {
  transient: 'transient',
  permanent: 'permanent',
  /** The write lands, then the answer is lost. */
  ambiguousAfterWrite: 'ambiguousAfterWrite',
  /** The answer is lost and the write did not land. */
  ambiguousBeforeWrite: 'ambiguousBeforeWrite',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export interface Write {
  numUnique: string;
  typeFichier: string;
  demande: Demande;
  blocks: string[];
}

interface Fault {
  kind: FaultKind;
  times: number;
  numUnique?: string;
}

/** A registration system in memory: writes are applied and recorded in order. */
export class FakeSystem implements DemandSystem {
  readonly demandes = new Map<string, Demande>();
  /** Every write that took effect, in order. */
  readonly writes: Write[] = [];
  /** Every submit call, whatever became of it. */
  calls = 0;
  private faults: Fault[] = [];
  readFaults = 0;

  constructor(readonly id = 'sne') {}

  seed(demandes: readonly Demande[]): void {
    for (const d of demandes) this.demandes.set(d.numUnique!, d);
  }

  /** The next `times` submits (of `numUnique`, when given) fail this way. */
  fail(kind: FaultKind, times = 1, numUnique?: string): void {
    this.faults.push({ kind, times, ...(numUnique ? { numUnique } : {}) });
  }

  clearFaults(): void {
    this.faults = [];
  }

  writesOf(numUnique: string): Write[] {
    return this.writes.filter((w) => w.numUnique === numUnique);
  }

  async getDemande(numUnique: string): Promise<DemandeResult | null> {
    if (this.readFaults > 0) {
      this.readFaults--;
      throw new TransientError('FAKE_UNAVAILABLE', 'fake read unavailable', { system: this.id });
    }
    const d = this.demandes.get(numUnique);
    return d ? { index: 0, ok: true, demande: d, warnings: [], anomalies: [] } : null;
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    this.calls++;
    const nu = request.demande.numUnique!;
    const fault = this.faults.find((f) => f.times > 0 && (f.numUnique === undefined || f.numUnique === nu));
    if (fault) fault.times--;
    if (fault?.kind === FaultKind.transient) throw new TransientError('FAKE_UNAVAILABLE', 'fake answered 503 (unavailable)', { system: this.id });
    if (fault?.kind === FaultKind.permanent) throw new PermanentError('CTRL_DEM_0030', 'fake anomaly: a mandatory field is missing', { system: this.id });
    if (fault?.kind === FaultKind.ambiguousBeforeWrite) throw new AmbiguousError('FAKE_TIMEOUT', 'fake: no answer in time; the write may have happened', { system: this.id });
    const demande = Demande.parse(request.demande);
    this.demandes.set(nu, demande);
    this.writes.push({ numUnique: nu, typeFichier: request.typeFichier, demande, blocks: (request.blocks ?? []).map((b) => b.name) });
    if (fault?.kind === FaultKind.ambiguousAfterWrite) throw new AmbiguousError('FAKE_TIMEOUT', 'fake: no answer in time; the write may have happened', { system: this.id });
    return { numUnique: nu, demande, anomalies: [] };
  }

  async radieesDepuis(): Promise<DemandesDepuis> {
    return { demandes: [], requestedAt: new Date() };
  }

  async nouveauxDaloDepuis(): Promise<DemandesDepuis> {
    return { demandes: [], requestedAt: new Date() };
  }

  async doublons(): Promise<Doublon[]> {
    return [];
  }

  async close(): Promise<void> {}
}

/** Valid synthetic demands that are not radiated (events can be sent on them). */
export function activeDemandes(count: number, seed: string): Demande[] {
  return generateDemandes({ count: count * 3, seed })
    .filter((d) => d.radiation === undefined && d.numUnique)
    .slice(0, count);
}

/** A writable copy of the shipped mapping tables. */
export function mappingsCopy(): { dir: string; read(file: string): string; write(file: string, text: string): void; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-push-mappings-'));
  cpSync(join(__dirname, '..', '..', 'mappings'), dir, { recursive: true });
  return {
    dir,
    read: (file) => readFileSync(join(dir, file), 'utf8'),
    write: (file, text) => writeFileSync(join(dir, file), text),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

let counter = 0;
/** A fresh event id (synthetic). */
export const eventId = (label: string): string => `evt-${label}-${process.pid}-${++counter}`;

export const label = (n: number, date = '2024-03-01'): Record<string, unknown> => ({ source: 'DALO', date, emetteur: `EVT-${n}` });

export function labelEvent(numUnique: string, n: number, extra: Partial<NewEvenement> = {}): NewEvenement {
  return { id: eventId(`label${n}`), numUnique, type: 'label', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: label(n), ...extra };
}

export function decisionEvent(numUnique: string, decision: Record<string, unknown>, extra: Partial<NewEvenement> = {}): NewEvenement {
  return {
    id: eventId('cal'),
    numUnique,
    type: 'decisionCal',
    occurredAt: '2024-03-01T10:00:00.0+01:00',
    payload: { dateCommission: '2024-02-20', logement: { bailleurSiren: '999999001', rpls: 'B000000007' }, decision },
    ...extra,
  };
}

export function refusEvent(numUnique: string, motif: string, extra: Partial<NewEvenement> = {}): NewEvenement {
  return { id: eventId('refus'), numUnique, type: 'refus', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: { date: '2024-02-25', motif }, ...extra };
}

export interface HarnessOptions {
  name: string;
  mappingsDir?: string;
  concurrency?: number;
  radiationIrrecevabilite?: FollowUpMode;
  circuit?: { failureThreshold: number; openMs: number };
  attempts?: number;
  pageSize?: number;
  pollMs?: number;
  extra?: Partial<PushPipelineOptions>;
  /** The target system (default: a `FakeSystem`). */
  system?: DemandSystem;
}

export interface Harness {
  prefix: string;
  keys: Keys;
  fake: FakeSystem;
  local: Awaited<ReturnType<typeof startTestLocal>>;
  client: LocalClient;
  pipeline: PushPipeline;
  replayer: Replayer;
  deadLetters: DeadLetterStore;
  runs: RunStore;
  cursors: CursorStore;
  circuitChanges: Array<[CircuitState, CircuitState]>;
  logs: ReturnType<typeof captureLogs>;
  redis: ReturnType<typeof createRedis>;
  cipher: PayloadCipher;
  /** Records demands in the local tool and the double. */
  seed(demandes: readonly Demande[]): void;
  /** Posts events to the local tool's feed; returns them with their seq. */
  post(events: readonly NewEvenement[]): Promise<Array<NewEvenement & { seq: number }>>;
  acks(eventId: string): Promise<Acquittement[]>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const prefix = `test-push-${options.name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const keys = makeKeys(prefix);
  const redis = createRedis({ url: REDIS_URL, name: 'push-test' });
  const logs = captureLogs({ level: 'info' });
  const local = await startTestLocal();
  const fake = new FakeSystem('sne');
  const circuitChanges: Array<[CircuitState, CircuitState]> = [];
  const retry = { attempts: options.attempts ?? 6, baseMs: 20, maxMs: 200 };
  const cipher = new PayloadCipher([{ id: 'k1', secret: TEST_KEY }], 'k1');
  const deadLetters = new DeadLetterStore(redis, keys);
  const runs = new RunStore(redis, keys);
  const cursors = new CursorStore(redis, keys);
  const locks = new DemandLocks(redis, keys);
  const circuit = new Circuit(redis, keys, {
    ...(options.circuit ?? { failureThreshold: 50, openMs: 1_000 }),
    onChange: (_t, from, to) => circuitChanges.push([from, to]),
  });
  const tables = watchedMappings({ dir: options.mappingsDir ?? join(__dirname, '..', '..', 'mappings'), checkEveryMs: 60_000 });
  const pipeline = createPushPipeline({
    redis,
    keys,
    targets: ['sne'],
    systems: new Map([['sne', options.system ?? fake]]),
    local: local.client,
    tables,
    cipher,
    circuit,
    locks,
    deadLetters,
    runs,
    cursors,
    logger: logs.logger,
    retry,
    concurrency: options.concurrency ?? 8,
    pageSize: options.pageSize ?? 100,
    pollMs: options.pollMs ?? 100,
    wait: { baseMs: 100, maxMs: 1_000 },
    ...(options.radiationIrrecevabilite ? { radiationIrrecevabilite: options.radiationIrrecevabilite } : {}),
    ...options.extra,
  });
  const replayer = createReplayer({
    redis,
    deadLetters,
    runs,
    cipher,
    tables,
    state: pipeline.state,
    pushQueues: pipeline.queues,
    targets: ['sne'],
    local: local.client,
    logger: logs.logger,
  });
  return {
    prefix,
    keys,
    fake,
    local,
    client: local.client,
    pipeline,
    replayer,
    deadLetters,
    runs,
    cursors,
    circuitChanges,
    logs,
    redis,
    cipher,
    seed(demandes) {
      local.sim.store.seedDemandes(demandes.map((d) => ({ numUnique: d.numUnique!, record: d })));
      fake.seed(demandes);
    },
    async post(events) {
      const out: Array<NewEvenement & { seq: number }> = [];
      for (const e of events) {
        const { evenement } = await local.client.postEvenement(e);
        out.push({ ...e, seq: evenement.seq });
      }
      return out;
    },
    acks: (id) => local.client.listAcquittements(id),
    async close() {
      await pipeline.close(5_000);
      await local.sim.close();
      local.client.close();
      await deleteByPrefix(redis, prefix);
      await closeRedis(redis);
    },
  };
}

/** Polls until `check` returns a value (not undefined/false); fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The statuses of an event's acknowledgements, oldest first. */
export async function ackStatuses(h: Harness, id: string): Promise<string[]> {
  return (await h.acks(id)).map((a) => a.status);
}

export type { DemandeInput };
