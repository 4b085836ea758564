/**
 * Shared pieces of the reliability suite: a seeded generator, a "world" (SNE and local-tool simulators,
 * a configuration with a unique Redis prefix, a trigger gateway that adds jobs and waits for runs), the
 * daemon as a child process logging to a file, the end-state comparison, and the result type of a
 * section.
 *
 * Everything a trial creates is removed at its end: the temporary folder, the simulators and every
 * Redis key under the trial's prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import { Gateway } from '../../src/daemon/gateway';
import { captureLogs } from '../../src/logging';
import { startSneSimulator, type RunningSneSimulator, type SneSimulatorOptions } from '../../src/simulators/sne';
import type { Demande } from '../../src/domain';
import { personalValuesOf, Rng, type Seed } from '../../src/synthetic';
import { startTestLocal, testEnv, testDirs, writeTestConfig, TEST_HMAC, TEST_KEY, TEST_LOCAL_TOKEN, type TestDirs } from '../../test/support/gateway';
import { deleteByPrefix } from '../../test/support/redis';
import { startRecordingProxy, type RecordingProxy } from './proxy';

export const REPO_ROOT = join(__dirname, '..', '..');
export const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const LOCAL_AUTH = { authorization: `Bearer ${TEST_LOCAL_TOKEN}` };

/** The secrets every world runs with: what the secret scan looks for. */
export const SECRETS = { localToken: TEST_LOCAL_TOKEN, cryptoKey: TEST_KEY, hmac: TEST_HMAC } as const;

/** A seeded generator for one part of the suite (`Rng` of the synthetic data, stream by name). */
export function rngFor(seed: Seed, part: string, index = 0): Rng {
  return Rng.forIndex(`${String(seed)}:${part}`, index);
}

/** One check of a section: what was verified, whether it held, and a short detail (never a value). */
export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
  /** Not run (a tool or service unreachable): never counted as passed. */
  notRun?: boolean;
  /**
   * When the check fails: the defect it shows, already reported and not fixed yet. Listed in the
   * summary as a known defect; it does not fail the run's exit code (lost, duplicates and leaks always do).
   */
  knownDefect?: string;
}

/** What a section of the suite reports. */
export interface SectionResult {
  section: string;
  trials?: number;
  faults?: number;
  inputs?: number;
  lost: number;
  duplicates: number;
  leaks: number;
  checks: Check[];
  figures: Record<string, unknown>;
  durationMs: number;
}

export function emptyResult(section: string): SectionResult {
  return { section, lost: 0, duplicates: 0, leaks: 0, checks: [], figures: {}, durationMs: 0 };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

let build: { entry: string; dir: string } | undefined;

/**
 * The daemon's code, transpiled once per suite run into a temporary folder (as `ts-node --transpile-only`
 * does at each start, which costs seconds per start on a loaded machine): same sources, same compiler
 * options. `mappings/` and `node_modules/` are linked beside it so that paths resolve as in a checkout.
 * `PASSERELLE_CHAOS_FROM_SOURCE=1` runs `bin/passerelle.js` (ts-node) instead.
 */
export function daemonEntry(): string[] {
  if (process.env.PASSERELLE_CHAOS_FROM_SOURCE === '1') return [join(REPO_ROOT, 'bin', 'passerelle.js')];
  if (!build) {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-chaos-build-'));
    const { options } = ts.convertCompilerOptionsFromJson(
      { target: 'ES2022', module: 'commonjs', esModuleInterop: true, resolveJsonModule: true, isolatedModules: true },
      REPO_ROOT,
    );
    const src = join(REPO_ROOT, 'src');
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
          const out = join(dir, 'src', relative(src, p)).replace(/\.ts$/, '.js');
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, ts.transpileModule(readFileSync(p, 'utf8'), { compilerOptions: options, fileName: p }).outputText);
        } else if (!e.name.endsWith('.ts')) {
          const out = join(dir, 'src', relative(src, p));
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, readFileSync(p));
        }
      }
    };
    walk(src);
    for (const linked of ['mappings', 'node_modules', 'package.json']) symlinkSync(join(REPO_ROOT, linked), join(dir, linked));
    build = { entry: join(dir, 'src', 'cli', 'main.js'), dir };
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return [build.entry];
}

/** A daemon (`passerelle start`) in a child process; stderr (its log) appended to `logPath`. */
export interface ChildDaemon {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnDaemon(configPath: string, logPath: string, roles = 'worker', extraEnv: NodeJS.ProcessEnv = {}): ChildDaemon {
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...daemonEntry(), 'start', '--role', roles, '--config', configPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...testEnv, ...extraEnv },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface LocalStats {
  demandes: number;
  writes: number;
  noopWrites: number;
  conflicts: number;
  duplicateContentWrites: number;
  events: number;
  acks: number;
}

export interface WorldOptions {
  name: string;
  seed: Seed;
  count: number;
  redisUrl?: string;
  /** Sections of the configuration to set (merged over the test configuration's). */
  extra?: Record<string, unknown>;
  sne?: Omit<SneSimulatorOptions, 'seed' | 'count'>;
  /** Keep the local tool's database in a file (default in memory). */
  localDbFile?: boolean;
  /** The local client's timeout (default 1000 ms: a demand's lock lapses 2 × this + 1 s after a crash). */
  localTimeoutMs?: number;
  /** Put a recording proxy between the daemon and the local tool / the SNE (see `proxy.ts`). */
  proxy?: { local?: boolean; sne?: boolean; sneKeyOf?: (body: Buffer, path: string) => string[] | undefined };
  /** Extra environment the configuration's secrets are read from (give the daemon the same). */
  env?: Record<string, string>;
}

/** Simulators, configuration and a trigger gateway, with a unique Redis prefix. */
export interface World {
  dirs: TestDirs;
  prefix: string;
  redisUrl: string;
  configPath: string;
  logPath: string;
  sne: RunningSneSimulator;
  local: Awaited<ReturnType<typeof startTestLocal>>;
  /** A gateway of no role: adds jobs and waits for runs; never processes. */
  trigger: Gateway;
  redis: Redis;
  /** The recording proxies the daemon goes through, when asked for. */
  proxies: { local?: RecordingProxy; sne?: RecordingProxy };
  count: number;
  localStats(): Promise<LocalStats>;
  /** The daemon's log so far. */
  log(): string;
  close(): Promise<void>;
}

export async function createWorld(o: WorldOptions): Promise<World> {
  const dirs = testDirs(`chaos-${o.name}`);
  const redisUrl = o.redisUrl ?? DEFAULT_REDIS_URL;
  const prefix = `chaos-${o.name}-${randomBytes(4).toString('hex')}`;
  const sne = await startSneSimulator({ ...(o.sne ?? {}), seed: o.seed, count: o.count });
  const local = await startTestLocal(o.localDbFile ? join(dirs.root, 'local.db') : ':memory:');
  const proxies: World['proxies'] = {};
  if (o.proxy?.local) proxies.local = await startRecordingProxy(local.sim.url, localKeysOf);
  if (o.proxy?.sne) proxies.sne = await startRecordingProxy(sne.url, o.proxy.sneKeyOf);
  const localUrl = proxies.local?.url ?? local.sim.url;
  const sneUrl = proxies.sne?.url ?? sne.url;
  const given = o.extra ?? {};
  const extra = {
    logging: { level: 'info', format: 'json' },
    ...given,
    local: { url: localUrl, token: { env: 'T_LOCAL_TOKEN' }, timeoutMs: o.localTimeoutMs ?? 1000 },
    sne: { url: sneUrl, guichet: 'G0123', ...((given.sne as object | undefined) ?? {}) },
    redis: { url: redisUrl, prefix },
  };
  const configPath = writeTestConfig({ dirs, prefix, localUrl, sneUrl, extra });
  const config = loadConfig({ path: configPath, env: { ...testEnv, ...(o.env ?? {}) }, cwd: dirs.root });
  const trigger = new Gateway({ config, logger: captureLogs({ level: 'warn' }).logger, local: local.client, systems: new Map(), roles: [] });
  // Outages are part of the trials: connection errors are expected, and ioredis reconnects by itself.
  trigger.redis.on('error', () => undefined);
  trigger.bullRedis.on('error', () => undefined);
  for (const q of Object.values(trigger.queues)) q.on('error', () => undefined);
  await trigger.start();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on('error', () => undefined);
  const logPath = join(dirs.root, 'daemon.log');
  let closed = false;
  return {
    dirs,
    prefix,
    redisUrl,
    configPath,
    logPath,
    sne,
    local,
    trigger,
    redis,
    proxies,
    count: o.count,
    localStats: async () => (await (await fetch(`${local.sim.url}/_sim/stats`, { headers: LOCAL_AUTH })).json()) as LocalStats,
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      scanWorldEvidence({ sne, log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''), dirs }, o.name);
      // For diagnosis: PASSERELLE_CHAOS_KEEP_LOGS=<folder> keeps every daemon log and configuration.
      const keep = process.env.PASSERELLE_CHAOS_KEEP_LOGS;
      if (keep && existsSync(logPath)) {
        mkdirSync(keep, { recursive: true });
        writeFileSync(join(keep, `${prefix}.log`), readFileSync(logPath));
        writeFileSync(join(keep, `${prefix}.yaml`), readFileSync(configPath));
      }
      await trigger.close(2_000).catch(() => undefined);
      await proxies.local?.close().catch(() => undefined);
      await proxies.sne?.close().catch(() => undefined);
      await sne.close();
      await local.sim.close();
      await deleteByPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
      dirs.cleanup();
    },
  };
}

/**
 * Waits until a pull job is over for good (completed, or failed with no retry left) and no delivery is
 * waiting, running or delayed; returns the job's final state and its run's status. The run's status
 * alone is not enough: a transient failure marks the run failed while BullMQ retries the job.
 */
export async function waitForQuiescence(world: World, jobId: string, runId: string, timeoutMs = 240_000): Promise<{ job: string; run: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await world.trigger.queues.pull.getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    if (state === 'completed' || state === 'failed' || state === 'missing') {
      const c = await world.trigger.queues.deliver.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(c).every((n) => n === 0)) {
        const run = await world.trigger.runs.get(runId);
        return { job: state, run: run?.status ?? 'missing' };
      }
    }
    if (Date.now() > deadline) throw new Error(`the pull (job ${state}) and its deliveries did not settle within ${secs(timeoutMs)}`);
    await sleep(200);
  }
}

/** Open dead letters by code (codes only: never a value). */
export async function deadLetterCodes(world: World): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const d of await world.trigger.deadLetters.search({ status: 'open' })) out[d.code] = (out[d.code] ?? 0) + 1;
  return out;
}

/**
 * Calls `onApplied` synchronously inside the local tool's handler after each write it applies (one PUT,
 * or each item of a batch), before the answer leaves; returns the count so far.
 */
export function hookLocalWrites(world: Pick<World, 'local'>, onApplied: () => void): { applied: () => number } {
  const store = world.local.sim.store;
  let applied = 0;
  const one = store.putDemande.bind(store);
  const many = store.putDemandes.bind(store);
  const count = (outcome: string) => {
    if (outcome === 'created' || outcome === 'updated') {
      applied++;
      onApplied();
    }
  };
  store.putDemande = (...args: Parameters<typeof one>) => {
    const r = one(...args);
    count(r.outcome);
    return r;
  };
  store.putDemandes = (...args: Parameters<typeof many>) => {
    const rs = many(...args);
    for (const r of rs) count(r.outcome);
    return rs;
  };
  return { applied: () => applied };
}

/** The demands a request to the local tool is about: the one in its path, or the items of a batch. */
export function localKeysOf(body: Buffer, path: string): string[] | undefined {
  const one = /^\/demandes\/([^/]+)$/.exec(path);
  if (one && one[1] !== 'batch') return [decodeURIComponent(one[1] ?? '')];
  if (path === '/demandes/batch') {
    try {
      const items = (JSON.parse(body.toString('utf8')) as { items?: Array<{ numUnique?: unknown }> }).items ?? [];
      return items.map((i) => String(i.numUnique));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How the local tool's end state compares with the SNE stock after a full sync. */
export interface PullEndState {
  expected: number;
  /** Demands of the SNE stock missing from the local tool or different there. */
  lost: number;
  /** The same count, named for the sections that tell parked (dead letters) from lost. */
  missing: number;
  /** Writes beyond one per demand, or of a content already written once. */
  duplicates: number;
  writes: number;
}

export async function comparePullEndState(world: World, only?: ReadonlySet<string>): Promise<PullEndState> {
  let lost = 0;
  let expected = 0;
  for (const rec of world.sne.store.iterate()) {
    if (only && !only.has(rec.numUnique)) continue;
    expected++;
    const stored = world.local.sim.store.getDemande(rec.demande.numUnique!);
    if (!stored || JSON.stringify(canonical(stored.record)) !== JSON.stringify(canonical(JSON.parse(JSON.stringify(rec.demande))))) lost++;
  }
  const s = world.local.sim.store.stats();
  const duplicates = Math.max(s.duplicateContentWrites, s.writes - expected);
  return { expected, lost, missing: lost, duplicates, writes: s.writes };
}

/** A JSON value with its object keys sorted (deep), for comparisons that ignore key order. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * Finds needles in large texts in one pass: needles are indexed by their first four characters (case
 * folded), so the cost follows the text's length, not the number of needles.
 */
const WORD = /[\p{L}\p{N}]/u;

export class NeedleScanner {
  private readonly byPrefix = new Map<string, Array<{ value: string; anchors?: string[] }>>();
  readonly size: number;
  /**
   * A needle with anchors counts only where one of its anchors (the numéro unique of its demand) is
   * within `window` characters: a bare date is found in every report, a birth date beside the demand it
   * belongs to identifies someone.
   */
  constructor(needles: Iterable<string | { value: string; anchors?: string[] }>, private readonly window = 400) {
    const merged = new Map<string, { value: string; anchors?: string[] }>();
    for (const raw of needles) {
      const n = typeof raw === 'string' ? { value: raw } : raw;
      const v = n.value.toLowerCase();
      if (v.length < 4) continue;
      const prev = merged.get(v);
      if (!prev) merged.set(v, { value: v, ...(n.anchors ? { anchors: n.anchors.map((x) => x.toLowerCase()) } : {}) });
      else if (!prev.anchors || !n.anchors) delete prev.anchors;
      else prev.anchors.push(...n.anchors.map((x) => x.toLowerCase()));
    }
    for (const n of merged.values()) {
      const k = n.value.slice(0, 4);
      const list = this.byPrefix.get(k);
      if (list) list.push(n);
      else this.byPrefix.set(k, [n]);
    }
    this.size = merged.size;
  }

  /** The distinct needles found in `text` (case-insensitive). */
  find(text: string): string[] {
    const found = new Set<string>();
    const t = text.toLowerCase();
    for (let i = 0; i + 4 <= t.length; i++) {
      const list = this.byPrefix.get(t.slice(i, i + 4));
      if (!list) continue;
      for (const n of list) {
        if (found.has(n.value) || !t.startsWith(n.value, i)) continue;
        // Whole values only: "elif" inside base64 ciphertext is chance, "Elif" between quotes is a name.
        if (WORD.test(t[i - 1] ?? '') || WORD.test(t[i + n.value.length] ?? '')) continue;
        if (n.anchors) {
          const around = t.slice(Math.max(0, i - this.window), i + n.value.length + this.window);
          if (!n.anchors.some((a) => around.includes(a))) continue;
        }
        found.add(n.value);
      }
    }
    return [...found];
  }
}

/**
 * The personal values of a stock worth searching for: names, birth dates, phones, emails, addresses,
 * employers, free text. Short numbers (amounts) are left out: as bare numbers they match counts,
 * durations and ports everywhere (docs/reliability.md, limits).
 */
export function searchablePersonalValues(demandes: Iterable<Demande>): Array<{ value: string; anchors?: string[] }> {
  const out: Array<{ value: string; anchors?: string[] }> = [];
  for (const d of demandes) {
    for (const v of personalValuesOf(d)) {
      if (v.length < 4 || /^\d{1,7}$/.test(v)) continue;
      // Dates (birth dates) count beside their demand's numéro unique only (see NeedleScanner).
      out.push(/^\d{4}-\d{2}-\d{2}$/.test(v) && d.numUnique ? { value: v, anchors: [d.numUnique] } : { value: v });
    }
  }
  return out;
}


/** Leaks found so far in this process (daemon logs, reasons of rejected files): every section adds here. */
export const leakTally = { scanned: 0, bytes: 0, personal: 0, secrets: 0, where: [] as string[] };

/** Scans a world's daemon log and rejected-file reasons for its stock's personal values and the secrets. */
export function scanWorldEvidence(world: Pick<World, 'sne' | 'log' | 'dirs'>, label: string): { personal: number; secrets: number } {
  const texts: Array<[string, string]> = [[`${label}: daemon log`, world.log()]];
  try {
    for (const f of readdirSync(world.dirs.rejected)) if (f.endsWith('.reason.json')) texts.push([`${label}: ${f}`, readFileSync(join(world.dirs.rejected, f), 'utf8')]);
  } catch {
    // No rejected folder: nothing to scan there.
  }
  const personal = new NeedleScanner(searchablePersonalValues([...world.sne.store.iterate()].map((r) => r.demande)));
  const secrets = new NeedleScanner(Object.values(SECRETS));
  let p = 0;
  let s = 0;
  for (const [where, text] of texts) {
    leakTally.scanned++;
    leakTally.bytes += text.length;
    const fp = personal.find(text).length;
    const fs = secrets.find(text).length;
    if (fp || fs) leakTally.where.push(`${where}: ${fp} personal value(s), ${fs} secret(s)`);
    p += fp;
    s += fs;
  }
  leakTally.personal += p;
  leakTally.secrets += s;
  return { personal: p, secrets: s };
}

/** Formats milliseconds as seconds with one decimal. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Percentile of a sorted copy. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
