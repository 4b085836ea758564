/**
 * The container, as far as it can be checked without Docker: compose.yaml gives Redis AOF and
 * `noeviction` on a volume and the gateway its configuration read-only; the Dockerfile builds in one
 * stage and runs as a non-root user in a slim one, with a health check; every file it copies is in the
 * build context. Then what the image holds is rebuilt in a folder without `src/` (compiled `dist/`,
 * `bin/`, `mappings/`, `config/`, `docs/`): the CLI answers, `check-config` finds the data tables from
 * `dist/`, and a daemon started from it passes the Dockerfile's own HEALTHCHECK command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { waitUntil } from '../support/daemon';
import { startTestLocal, testDirs, testEnv, writeTestConfig, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { freePort, webSection } from './support';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions by stage (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Array<{ from: string; name?: string; steps: Instruction[] }> {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Array<{ from: string; name?: string; steps: Instruction[] }> = [];
  for (const line of logical) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from: f[1]!, ...(f[2] ? { name: f[2] } : {}), steps: [] });
    } else stages.at(-1)?.steps.push({ op, args });
  }
  return stages;
}

const t = useTestRedis('ops-container');

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, { command?: string[] | string; volumes?: string[]; environment?: Record<string, string>; ports?: string[]; stop_grace_period?: string; secrets?: string[] }>;
    volumes?: Record<string, unknown>;
    secrets?: Record<string, { file?: string }>;
  };

  it('runs Redis with AOF fsynced every second and noeviction, its data on a volume', () => {
    const redis = compose.services.redis!;
    const cmd = Array.isArray(redis.command) ? redis.command.join(' ') : String(redis.command);
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--appendfsync everysec/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
    const data = (redis.volumes ?? []).find((v) => v.endsWith(':/data'));
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.split(':')[0]);
    // Redis is not published outside the compose network.
    expect(redis.ports).toBeUndefined();
  });

  it('runs the gateway on that Redis with its configuration read-only, secrets from files and its web port', () => {
    const gw = compose.services.gateway!;
    expect(gw.environment?.REDIS_URL).toBe('redis://redis:6379');
    const config = (gw.volumes ?? []).find((v) => v.includes(`:${gw.environment?.PASSERELLE_CONFIG}`));
    expect(config).toMatch(/:ro$/);
    for (const s of gw.secrets ?? []) expect(compose.secrets?.[s]?.file).toMatch(/^\.\/secrets\//);
    expect(gw.secrets?.length).toBeGreaterThan(0);
    expect(gw.ports).toEqual(expect.arrayContaining([expect.stringMatching(/:8080$/)]));
    // Longer than the shutdown deadline of the example configuration, so that SIGKILL never cuts it short.
    const example = parse(read('config/example.yaml')) as { queues: { shutdownDeadlineMs: number } };
    expect(Number(/^(\d+)s$/.exec(gw.stop_grace_period ?? '')?.[1]) * 1000).toBeGreaterThan(example.queues.shutdownDeadlineMs);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages(read('Dockerfile'));
  const runtime = stages.at(-1)!;
  const ops = (op: string) => runtime.steps.filter((s) => s.op === op);

  it('builds in a stage of its own and runs from a slim Node 20 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.steps.some((x) => x.op === 'RUN' && /npm run build/.test(x.args)))!;
    expect(build).toBeDefined();
    expect(build.steps.some((x) => x.op === 'RUN' && /npm ci(?!\s+--omit)/.test(x.args))).toBe(true);
    expect(runtime.from).toMatch(/^node:20[-.\w]*slim$/);
    expect(stages.some((s) => s.steps.some((x) => x.op === 'RUN' && /npm ci --omit=dev/.test(x.args)))).toBe(true);
    // Production dependencies come from a stage on the same Debian release as the runtime.
    const release = /bookworm|bullseye|trixie/.exec(runtime.from)?.[0];
    for (const s of stages) expect([s.from, s.from.includes(release ?? '?')]).toEqual([s.from, true]);
  });

  it('holds dist/, bin/, mappings/, config/ and docs/, and no source', () => {
    const copied = ops('COPY').map((c) => c.args);
    for (const dir of ['dist', 'bin', 'mappings', 'config', 'docs']) {
      expect([dir, copied.some((a) => new RegExp(`(^|\\s|/)${dir}\\s+\\./${dir}$`).test(a))]).toEqual([dir, true]);
    }
    expect(copied.some((a) => /\bsrc\b/.test(a))).toBe(false);
  });

  it('runs as a user that is not root, with a health check on /healthz and passerelle start by default', () => {
    const user = ops('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(ops('HEALTHCHECK').at(-1)?.args).toMatch(/\/healthz/);
    expect(JSON.parse(ops('ENTRYPOINT').at(-1)!.args)).toEqual(['node', 'bin/passerelle.js']);
    expect(JSON.parse(ops('CMD').at(-1)!.args)).toEqual(['start']);
  });

  it('copies only what the build context holds (.dockerignore leaves it in)', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const s of stages) {
      for (const c of s.steps.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
        const sources = c.args.split(/\s+/).slice(0, -1);
        for (const src of sources) {
          expect([src, existsSync(join(ROOT, src))]).toEqual([src, true]);
          expect([src, ignored.includes(src)]).toEqual([src, false]);
        }
      }
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', 'secrets', '.passerelle']));
  });
});

describe('the image contents, rebuilt without src/', () => {
  let image: string;
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    image = mkdtempSync(join(tmpdir(), 'passerelle-image-'));
    // What `npm run build` does, into the copy (the checkout's own dist/ is left alone).
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(image, 'dist')], {
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    for (const f of ['bin', 'mappings', 'config', 'docs', 'package.json']) cpSync(join(ROOT, f), join(image, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(image, 'node_modules'), 'dir');
    dirs = testDirs('ops-container');
    local = await startTestLocal();
  });

  afterAll(async () => {
    await local?.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
    if (image) rmSync(image, { recursive: true, force: true });
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ['bin/passerelle.js', ...args], { cwd: image, encoding: 'utf8', env: { ...process.env, ...env } });

  it('has no source and answers --help from dist/', () => {
    expect(existsSync(join(image, 'src'))).toBe(false);
    expect(existsSync(join(image, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(image, 'dist', 'sync', 'parse-worker.js'))).toBe(true);
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['start', 'check-config', 'replay', 'dead-letters']) expect(help.stdout).toContain(c);
  });

  it('checks a configuration and the data tables it finds beside dist/', async () => {
    const path = writeTestConfig({ dirs, prefix, localUrl: local.sim.url, extra: { web: await webSection() } });
    const r = cli(['check-config', '--config', path], testEnv);
    expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
    const bad = cli(['check-config', '--config', path], { ...testEnv, T_KEY: 'too-short' });
    expect(bad.status).not.toBe(0);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/crypto\.keys/);
  });

  it('starts a daemon from dist/ that the HEALTHCHECK command finds healthy, and stops it with SIGTERM', async () => {
    const port = await freePort();
    const path = writeTestConfig({ dirs, prefix, localUrl: local.sim.url, extra: { web: await webSection() }, name: 'daemon.yaml' });
    const env = { ...process.env, ...testEnv, PASSERELLE_WEB_PORT: String(port) };
    const child = spawn(process.execPath, ['bin/passerelle.js', 'start', '--config', path], { cwd: image, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let logs = '';
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const healthcheck = JSON.parse(/HEALTHCHECK[^\n]*\\\s*\n\s*CMD\s+(\[.*\])/.exec(read('Dockerfile'))![1]!) as string[];
      expect(healthcheck[0]).toBe('node');
      const probe = () => spawnSync(process.execPath, healthcheck.slice(1), { env, encoding: 'utf8' }).status;
      await waitUntil(async () => probe() === 0, 30_000, 'the health check to pass').catch((e: Error) => {
        throw new Error(`${e.message}; daemon said:\n${logs.slice(-3000)}`);
      });
      expect(probe()).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
