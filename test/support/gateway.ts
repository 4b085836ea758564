/**
 * Builds a real gateway for integration tests: a configuration written to a temporary folder and loaded
 * by the real loader, the local-tool simulator with the canonical schema as its 422 rules, and a unique
 * Redis prefix.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config';
import { Demande } from '../../src/domain';
import { issuesFromZod } from '../../src/domain/validate';
import { captureLogs } from '../../src/logging';
import { startLocalSimulator, type RunningLocalSimulator } from '../../src/simulators/local';
import { createLocalClient, type LocalClient } from '../../src/systems/local';
import { REDIS_URL } from './redis';

export const TEST_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_HMAC = 'test-hmac-secret-0123456789abcdef-0123';
export const TEST_LOCAL_TOKEN = 'test-local-token-0123456789';

export interface TestDirs {
  root: string;
  drop: string;
  done: string;
  rejected: string;
  cleanup(): void;
}

export function testDirs(name: string): TestDirs {
  const root = mkdtempSync(join(tmpdir(), `passerelle-${name}-`));
  const d = { root, drop: join(root, 'in'), done: join(root, 'done'), rejected: join(root, 'rejected') };
  for (const p of [d.drop, d.done, d.rejected]) mkdirSync(p, { recursive: true });
  return { ...d, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function testConfig(options: {
  dirs: TestDirs;
  prefix?: string;
  localUrl: string;
  sneUrl?: string;
  extra?: Record<string, unknown>;
}): Config {
  return loadConfig({ path: writeTestConfig(options), env: testEnv, cwd: options.dirs.root });
}

export const testEnv = { T_LOCAL_TOKEN: TEST_LOCAL_TOKEN, T_KEY: TEST_KEY, T_HMAC: TEST_HMAC };

/** Writes the configuration file of a test (secrets from the environment: {@link testEnv}); returns its path. */
export function writeTestConfig(options: {
  dirs: TestDirs;
  prefix?: string;
  localUrl: string;
  sneUrl?: string;
  extra?: Record<string, unknown>;
  name?: string;
}): string {
  const prefix = options.prefix ?? `test-gw-${randomBytes(4).toString('hex')}`;
  const doc = {
    redis: { url: REDIS_URL, prefix },
    sne: { url: options.sneUrl ?? 'http://127.0.0.1:1', guichet: 'G0123' },
    local: { url: options.localUrl, token: { env: 'T_LOCAL_TOKEN' }, timeoutMs: 3000 },
    territory: { department: '35', delaiAnormalementLongMonths: 24 },
    dispatch: { dropDir: options.dirs.drop, doneDir: options.dirs.done, rejectedDir: options.dirs.rejected, stableMs: 0 },
    pull: { pageSize: 100, parseThreads: 1 },
    schedules: { radiees: null, dalo: null, dispatchScan: null, localEvents: null, reconcile: null },
    queues: { backoff: { baseMs: 50, maxMs: 500 }, attempts: 5, shutdownDeadlineMs: 5000, lockDurationMs: 2000, stalledIntervalMs: 1000 },
    logging: { level: 'warn', format: 'json' },
    crypto: { keys: [{ id: 'k1', secret: { env: 'T_KEY' } }], activeKeyId: 'k1' },
    events: { hmacSecret: { env: 'T_HMAC' } },
    ...options.extra,
  };
  const path = join(options.dirs.root, options.name ?? 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

/** The canonical schema as the local simulator's 422 rules. */
export const canonicalRecordRules = (record: unknown) => {
  const r = Demande.safeParse(record);
  return r.success ? [] : issuesFromZod(r.error);
};

export async function startTestLocal(dbPath = ':memory:'): Promise<{ sim: RunningLocalSimulator; client: LocalClient }> {
  const sim = await startLocalSimulator({ token: TEST_LOCAL_TOKEN, dbPath, validateRecord: canonicalRecordRules });
  const client = createLocalClient({ baseUrl: sim.url, token: TEST_LOCAL_TOKEN });
  return { sim, client };
}

export const quietLogger = () => captureLogs({ level: 'info' });
