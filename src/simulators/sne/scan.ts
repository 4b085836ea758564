/**
 * The index scan of the seeded stock: which seeded demands are radiated or DALO (with the instant they
 * count from) and a hash of each applicant's identity (name folded, birth date) for duplicate searches.
 * Pure; run in the simulator's thread for a small stock, in worker threads (./scan-worker) for a large
 * one, so the server keeps answering and the generator's garbage goes away with the thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Demande, IsoDate } from '../../domain';
import { generateDemande, type Seed } from '../../synthetic';
import { zonedFields } from '../../systems/sne/wire';

export interface ScanSpec {
  seed: Seed;
  territory: string;
  today: IsoDate;
  timeZone: string;
  start: number;
  end: number;
}

/** A scan's result, in transferable arrays (parallel arrays, one entry per seeded demand concerned). */
export interface ScanResult {
  radiated: { index: Uint32Array; at: Float64Array; numUnique: string[] };
  dalo: { index: Uint32Array; at: Float64Array; numUnique: string[] };
  /** Identity hash of every seeded demand, by position (`start + k`). */
  identities: Uint32Array;
}

/** Letters only, upper case, accents dropped: for comparing names. */
export function foldName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hash of an applicant's identity for the duplicate index (collisions are checked against the demand). */
export function identityKey(nom: string, dateNaissance: string): number {
  return fnv1a(`${foldName(nom)}|${dateNaissance}`);
}

/** The instant a calendar day starts in a time zone. */
export function dayStart(date: IsoDate, timeZone = 'Europe/Paris'): number {
  const utc = Date.parse(`${date}T00:00:00Z`);
  // The offset at midnight UTC is the one of the local midnight: clocks change at 02:00 or 03:00.
  return utc - zonedFields(new Date(utc), timeZone).offsetMinutes * 60_000;
}

/** The seeded demand `index` of a stock. */
export function seededDemande(spec: Pick<ScanSpec, 'seed' | 'territory' | 'today'>, index: number): Demande {
  return generateDemande(spec.seed, index, { territory: spec.territory, today: spec.today });
}

/** Scans `[start, end)`; `pause` (awaited every 500 demands) lets a caller yield to its event loop. */
export async function scanRange(spec: ScanSpec, pause?: () => Promise<boolean>): Promise<ScanResult | undefined> {
  const rIndex: number[] = [];
  const rAt: number[] = [];
  const rNu: string[] = [];
  const dIndex: number[] = [];
  const dAt: number[] = [];
  const dNu: string[] = [];
  const identities = new Uint32Array(Math.max(0, spec.end - spec.start));
  for (let i = spec.start; i < spec.end; i++) {
    if (pause && (i - spec.start) % 500 === 499 && !(await pause())) return undefined;
    const d = seededDemande(spec, i);
    const nu = d.numUnique as string;
    if (d.radiation) {
      rIndex.push(i);
      rAt.push(dayStart(d.radiation.date, spec.timeZone));
      rNu.push(nu);
    }
    const decision = d.dalo?.dateDecision;
    if (decision) {
      dIndex.push(i);
      dAt.push(dayStart(decision, spec.timeZone));
      dNu.push(nu);
    }
    identities[i - spec.start] = identityKey(d.demandeur.nom, d.demandeur.dateNaissance);
  }
  return {
    radiated: { index: Uint32Array.from(rIndex), at: Float64Array.from(rAt), numUnique: rNu },
    dalo: { index: Uint32Array.from(dIndex), at: Float64Array.from(dAt), numUnique: dNu },
    identities,
  };
}

/** Runs `scanRange` in a worker thread (from the TypeScript sources through ts-node when not compiled). */
export function scanInWorker(spec: ScanSpec): { result: Promise<ScanResult>; stop: () => Promise<void> } {
  const base = join(__dirname, 'scan-worker');
  const fromSource = existsSync(`${base}.ts`) && !existsSync(`${base}.js`);
  const worker = new Worker(fromSource ? `${base}.ts` : `${base}.js`, {
    workerData: spec,
    execArgv: fromSource ? ['--require', 'ts-node/register/transpile-only'] : [],
  });
  worker.unref();
  const result = new Promise<ScanResult>((resolve, reject) => {
    worker.once('message', (m: ScanResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the scan thread stopped (exit ${code})`)));
  });
  return { result, stop: async () => void (await worker.terminate()) };
}
