/**
 * The demo: everything on loopback from the default configuration. Starts Redis when none answers (a
 * `redis-server` found on the PATH, data in a temporary folder), the SNE and local-tool simulators at the
 * URLs the configuration names, seeds synthetic demands, starts the daemon with its dashboard, runs the
 * initial sync (a full dispatch file of the SNE's stock), prints a summary, and keeps running.
 *
 * It generates its secrets (files under `.passerelle/secrets/`, as config/default.yaml names them) and a
 * dashboard operator with a random password, printed once: there are no default credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config';
import { hashPassword } from '../config/password';
import { assembleGateway, loggerFor } from '../daemon/assemble';
import { Gateway } from '../daemon/gateway';
import { Demande } from '../domain';
import { issuesFromZod } from '../domain/validate';
import { PermanentError } from '../errors';
import type { Logger } from '../logging';
import { PayloadCipher } from '../queue/crypto';
import { redisAnswers } from '../queue/redis';
import { startLocalSimulator, type RunningLocalSimulator } from '../simulators/local';
import { startSneSimulator, type RunningSneSimulator } from '../simulators/sne';
import { startSptaSimulator, type RunningSptaSimulator } from '../simulators/spta';
import type { Run } from '../state/runs';
import { DEFAULT_TODAY, generateDemandes } from '../synthetic';
import { loadMappings } from '../mapping';
import { createLocalClient } from '../systems/local';
import { startEventStream } from './event-stream';

export interface DemoOptions {
  configPath: string;
  demandes: number;
  seed?: string;
  /** Where the demo keeps its simulators' data (default `.passerelle/demo`). */
  dataDir?: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Printed lines (the summary). */
  print?: (line: string) => void;
  /** Post a stream of local events after the initial sync (default true), at this rate (default 2/s). */
  events?: boolean;
  eventsPerSecond?: number;
}

export interface RunningDemo {
  gateway: Gateway;
  sne: RunningSneSimulator;
  /** One SPTA simulator per `spta` entry served over plain HTTP on loopback, in config order. */
  spta: RunningSptaSimulator[];
  local: RunningLocalSimulator;
  initialRun: Run;
  operator: { name: string; password: string; token: string };
  close(): Promise<void>;
}

const SECRETS = {
  'local-token': () => randomBytes(24).toString('base64url'),
  'crypto-demo-1': () => PayloadCipher.generateSecret(),
  'events-hmac': () => randomBytes(32).toString('base64url'),
  'web-token': () => randomBytes(32).toString('base64url'),
} as const;

/** Writes the demo's secret files when absent (random values; never committed: `.passerelle/` is ignored). */
export function ensureDemoSecrets(dir = '.passerelle/secrets'): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, make] of Object.entries(SECRETS)) {
    const p = join(dir, name);
    if (!existsSync(p)) writeFileSync(p, `${make()}\n`, { mode: 0o600 });
  }
}

/** Starts a throw-away `redis-server` for the demo when none answers at the configured URL. */
async function ensureRedis(url: string, logger: Logger): Promise<{ stop(): void } | undefined> {
  if (await redisAnswers(url)) return undefined;
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
    throw new PermanentError('DEMO_REDIS', `Redis does not answer at ${u.host}, and the demo only starts one on loopback`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-demo-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', u.port || '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', () => reject(new PermanentError('DEMO_REDIS', 'no Redis answers and no redis-server was found on the PATH')));
  });
  for (let i = 0; i < 50; i++) {
    if (await Promise.race([redisAnswers(url), failed])) {
      logger.info('demo: started redis-server', { port: Number(u.port || 6379) });
      return {
        stop: () => {
          child.kill('SIGTERM');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new PermanentError('DEMO_REDIS', 'redis-server did not start');
}

const portOf = (url: string) => Number(new URL(url).port);

/** An SPTA the demo can stand in for: a web service over plain HTTP on loopback, with an explicit port. */
function simulatedSpta(entry: Config['spta'][number]): entry is Config['spta'][number] & { url: string } {
  if (entry.transport !== 'webservice' || !entry.url) return false;
  const u = new URL(entry.url);
  return u.protocol === 'http:' && u.port !== '' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** The demo's own marker: its Redis prefix may be wiped at start, a production prefix never is. */
async function claimPrefix(redis: Redis, prefix: string): Promise<void> {
  const marker = `${prefix}:demo-marker`;
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 100);
  if (keys.length && !(await redis.exists(marker))) {
    throw new PermanentError(
      'DEMO_PREFIX_IN_USE',
      `Redis already holds data under the prefix "${prefix}" that the demo did not write; set another redis.prefix for the demo`,
    );
  }
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
  await redis.set(marker, new Date().toISOString());
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  ensureDemoSecrets();
  const base = loadConfig({ path: options.configPath, ...(options.env ? { env: options.env } : {}) });
  const logger = options.logger ?? loggerFor(base);
  const dataDir = resolve(options.dataDir ?? '.passerelle/demo');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  for (const d of [base.dispatch.dropDir, base.dispatch.doneDir, base.dispatch.rejectedDir]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }

  const redisProcess = await ensureRedis(base.redis.url, logger);
  const redis = new Redis(base.redis.url, { maxRetriesPerRequest: 1 });
  const cleanup: Array<() => Promise<void> | void> = [() => redisProcess?.stop()];
  try {
    await claimPrefix(redis, base.redis.prefix);
  } finally {
    redis.disconnect();
  }

  let started;
  try {
    // A dashboard operator with a random password, printed once.
    const password = randomBytes(12).toString('base64url');
    const config: Config = {
      ...base,
      web: { ...base.web, users: [...base.web.users, { name: 'operateur', passwordHash: await hashPassword(password, { ln: 14 }), role: 'operator' }] },
    };

    const seed = options.seed ?? 'demo';
    const sne = await startSneSimulator({
      port: portOf(config.sne.url),
      seed,
      count: options.demandes,
      territory: 'rennes-metropole',
      persistPath: join(dataDir, 'sne.jsonl'),
      autoDispatch: config.dispatch.dropDir,
      guichet: 'G0000',
    });
    cleanup.unshift(() => sne.close());
    const spta: RunningSptaSimulator[] = [];
    for (const entry of config.spta.filter(simulatedSpta)) {
      // A smaller stock than the SNE's: the SPTA is there to show the dialect, not to load the machine.
      const sim = await startSptaSimulator({
        profile: entry.profile,
        port: portOf(entry.url),
        seed: `${seed}-spta-${entry.id}`,
        count: Math.min(options.demandes, 1000),
        territory: 'rennes-metropole',
        persistPath: join(dataDir, `spta-${entry.id}.jsonl`),
      });
      cleanup.unshift(() => sim.close());
      spta.push(sim);
    }
    const local = await startLocalSimulator({
      port: portOf(config.local.url),
      token: config.local.token,
      dbPath: join(dataDir, 'local.db'),
      validateRecord: (record) => {
        const r = Demande.safeParse(record);
        return r.success ? [] : issuesFromZod(r.error);
      },
    });
    cleanup.unshift(() => local.close());

    const gateway = assembleGateway({ config, logger });
    cleanup.unshift(() => gateway.close());
    await gateway.start();

    // The initial sync: a full dispatch file of the SNE's stock, taken in by the dispatch source.
    const written = await sne.writeDispatchFile({ dir: config.dispatch.dropDir, all: true });
    // The dispatch source reads a file once it has been still for `stableMs` (half-written files).
    await new Promise((r) => setTimeout(r, config.dispatch.stableMs + 100));
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'demo' });
    const initialRun = await gateway.waitForRun(runId, { timeoutMs: 3_600_000 });

    // The local side plays too: a steady stream of realistic events (every type), pushed to the SNE.
    if (options.events !== false) {
      const streamClient = createLocalClient({ baseUrl: config.local.url, token: config.local.token });
      const stream = startEventStream({
        local: streamClient,
        demandes: generateDemandes({ seed, count: options.demandes, territory: 'rennes-metropole' }),
        seed,
        mappings: loadMappings(),
        logger,
        ratePerSecond: options.eventsPerSecond ?? 2,
        invalidShare: 0.02,
        // The stock's own day: its demands are valid then.
        start: new Date(`${DEFAULT_TODAY}T08:00:00Z`),
        irrecevabiliteFollowUp: 'gateway',
      });
      cleanup.unshift(async () => {
        await stream.stop();
        streamClient.close();
      });
    }
    const token = config.web.tokens[0]?.token ?? '';
    print(`passerelle demo: ${written.demandes} synthetic demands at the SNE simulator (${config.sne.url})`);
    for (const sim of spta) print(`SPTA simulator ${sim.profile.name} (${sim.stats().demandes} synthetic demands): ${sim.endpoint}`);
    print(`initial sync: ${JSON.stringify(initialRun.counts)} (${initialRun.status})`);
    print(`dashboard: ${gateway.webUrl}/queues  user: operateur  password: ${password}`);
    print(`API token (operator): ${token}`);
    print(`dead letters: ${gateway.webUrl}/dead-letters   runs: ${gateway.webUrl}/runs   readiness: ${gateway.webUrl}/readyz`);
    started = { gateway, sne, spta, local, initialRun, password, token };
  } catch (e) {
    for (const c of cleanup) await c();
    throw e;
  }
  const { gateway, sne, spta, local, initialRun, password, token } = started;
  let closed = false;
  return {
    gateway,
    sne,
    spta,
    local,
    initialRun,
    operator: { name: 'operateur', password, token },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const c of cleanup) await c();
    },
  };
}

