/**
 * `npm run bench -- reconcile [--demandes N] [--changes K] [--rate R] [--keep] [--trace]`: one reconciliation of N
 * demands (default 300,000) between the SNE simulator and the local-tool simulator (both in this
 * process, no injected latency), measured in a child process: its wall time and its peak RSS
 * (`getrusage` max RSS). Target on a 2-core machine: under 60 s and under 400 MB for 300,000.
 *
 * Set-up (not measured): the SNE simulator's seeded stock of N demands; the local tool seeded with the
 * same demands; both ledgers as a pull would have left them (canonical hash, raw hash of each XML
 * fragment, version written); then K differences of each kind: changed at the SNE (in the stock),
 * changed in the local tool, deleted from the local tool, only in the local tool; and K attribution
 * events. The stock file is written by the simulator (`writeDispatchFile({all: true})`).
 *
 * The child runs compiled JavaScript (the sources transpiled into `tmp/bench-build/`), so that neither
 * ts-node nor the TypeScript compiler weigh on the memory measured. Targeted reads are limited to R per
 * second (default 500; `reconcile.rateLimit` of the configuration the child reads).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import type { Benchmark } from './run';
import type { Demande } from '../src/domain';

const SEED = 'bench-reconcile';
const TODAY = '2025-03-14';
const TOKEN = 'bench-local-token-0123456789abcdef';
const ROOT = join(__dirname, '..');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(args[i + 1]);
  return v !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** Every `.ts` file under `dir`, relative to the repository. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Transpiles the sources and this file into `tmp/bench-build` (no type-check: `npm run typecheck` does it). */
async function build(): Promise<string> {
  const ts = await import('typescript');
  const out = join(ROOT, 'tmp', 'bench-build');
  for (const file of [...sources('src'), 'bench/reconcile.ts', 'bench/run.ts']) {
    const target = join(out, file.replace(/\.ts$/, '.js'));
    const from = join(ROOT, file);
    if (existsSync(target) && statSync(target).mtimeMs >= statSync(from).mtimeMs) continue;
    const js = ts.transpileModule(readFileSync(from, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
      fileName: file,
    }).outputText;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  // The element and anomaly tables are found relative to the code.
  if (!existsSync(join(out, 'mappings'))) symlinkSync(relative(out, join(ROOT, 'mappings')), join(out, 'mappings'));
  return join(out, 'bench', 'reconcile.js');
}

interface ChildFigures {
  wallMs: number;
  engineMs: number;
  maxRssMB: number;
  counts: Record<string, number>;
  reads: number;
  parsed: number;
  splitter?: string;
  reportDir?: string;
}

function runChild(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--child', ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 && code !== 1) return reject(new Error(`the measured child exited ${code}: ${stdout.slice(-2000)}`));
      try {
        resolve(JSON.parse(line) as ChildFigures);
      } catch {
        reject(new Error(`the measured child printed no figures: ${stdout.slice(-2000)}`));
      }
    });
  });
}

const bench: Benchmark = {
  description: 'reconciliation of N demands (default 300,000) between the SNE and local-tool simulators: time and peak RSS of the measured process',
  async run(args) {
    const n = option(args, 'demandes', 300_000);
    const k = option(args, 'changes', Math.max(1, Math.min(100, Math.round(n / 3000))));
    const rate = option(args, 'rate', 500);
    const keep = args.includes('--keep');
    const { startSneSimulator } = await import('../src/simulators/sne');
    const { startLocalSimulator } = await import('../src/simulators/local');
    const { iterateDemandes, generateDemandes } = await import('../src/synthetic');
    const { contentHash } = await import('../src/sync/hash');
    const { createInterfaceNuuCodec, loadElementTable } = await import('../src/codec');
    const { scanStock } = await import('../src/reconcile/stock');
    const { keys: makeKeys } = await import('../src/queue/keys');

    const root = mkdtempSync(join(tmpdir(), 'passerelle-bench-reconcile-'));
    const stockDir = join(root, 'stock');
    mkdirSync(stockDir);
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = `bench-rc-${randomBytes(4).toString('hex')}`;
    const keys = makeKeys(prefix);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const t0 = Date.now();
    const step = (what: string) => console.log(`[set-up ${Math.round((Date.now() - t0) / 1000)} s] ${what}`);
    const sne = await startSneSimulator({ seed: SEED, count: n, dispatchDir: stockDir, indexAtStart: false });
    const local = await startLocalSimulator({ token: TOKEN, dbPath: join(root, 'local.db') });
    try {
      // Which demands differ, by index: spread over the stock.
      const stride = Math.max(1, Math.floor(n / (4 * k + 1)));
      const pick = (kind: number) => Array.from({ length: k }, (_, i) => (i * 4 + kind) * stride).filter((x) => x < n);
      const changedAtSne = new Set(pick(0));
      const changedLocally = pick(1);
      const deletedLocally = pick(2);
      const attributed = pick(3);

      step(`local tool: seeding ${n} demands`);
      const hashes = new Map<string, string>();
      const nus: string[] = [];
      let batch: Array<{ numUnique: string; record: unknown }> = [];
      let i = 0;
      for (const d of iterateDemandes({ count: n, seed: SEED })) {
        hashes.set(d.numUnique!, contentHash(d));
        nus.push(d.numUnique!);
        batch.push({ numUnique: d.numUnique!, record: d });
        if (changedAtSne.has(i)) {
          const changed: Demande = { ...d, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
          sne.store.put({ numUnique: d.numUnique!, demande: changed, origin: 'seed' });
        }
        if (batch.length === 5000) {
          local.store.seedDemandes(batch);
          batch = [];
        }
        i++;
      }
      local.store.seedDemandes(batch);
      const extra = generateDemandes({ count: k, seed: `${SEED}-local-only`, startIndex: 0 });
      local.store.seedDemandes(extra.map((d) => ({ numUnique: d.numUnique!, record: d })));

      step('SNE: writing the full stock file');
      const written = await sne.writeDispatchFile({ dir: stockDir, all: true });
      const stock = join(stockDir, written.files[0]!.name);
      step(`stock: ${(written.files[0]!.bytes / 1e6).toFixed(0)} MB; ledgers`);
      const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
      const at = new Date().toISOString();
      let sneFields: string[] = [];
      let localFields: string[] = [];
      const flush = async () => {
        if (sneFields.length) await redis.hset(keys.ledger('sne'), ...sneFields);
        if (localFields.length) await redis.hset(keys.ledger('local'), ...localFields);
        sneFields = [];
        localFields = [];
      };
      await scanStock(stock, {
        codec,
        onItem: async (item) => {
          const nu = item.numUnique!;
          const hash = hashes.get(nu)!;
          // A demand changed at the SNE since the last pull: the ledger holds the content before.
          const changed = changedAtSne.has(item.index);
          sneFields.push(nu, JSON.stringify({ hash, ...(changed ? {} : { rawHash: item.rawHash.toString('hex') }), sourceAt: at, source: 'dispatch', at, state: 'synced' }));
          localFields.push(nu, JSON.stringify({ hash, version: 1, sourceAt: at, source: 'dispatch', at, state: 'synced' }));
          if (sneFields.length >= 2000) await flush();
        },
      });
      await flush();
      hashes.clear();

      step('local changes, deletions, events');
      for (const x of changedLocally) local.store.touch(nus[x]!, (r) => ({ ...(r as Demande), motifs: [] }));
      const del = local.store.db.prepare('DELETE FROM demandes WHERE num_unique = ?');
      for (const x of deletedLocally) del.run(nus[x]!);
      for (const x of attributed) {
        local.store.addEvenement({
          id: `bench-att-${x}`,
          numUnique: nus[x]!,
          type: 'attribution',
          occurredAt: '2025-01-10T10:00:00+01:00',
          payload: {
            logement: { bailleurSiren: '999999001', rpls: 'A000000101' },
            imputation: { type: 'bailleur' },
            dalo: false,
            cia: false,
            accordCollectif: 'AUCUN',
            prioritaireL441: false,
            dateSignatureBail: '2025-01-10',
            mutationInterne: false,
          },
        });
      }

      const config = {
        redis: { url: redisUrl, prefix },
        sne: { url: sne.url, guichet: 'G0123' },
        local: { url: local.url, token: { env: 'BENCH_LOCAL_TOKEN' } },
        territory: { department: '35', delaiAnormalementLongMonths: 24 },
        pull: { parseThreads: 1 },
        schedules: { radiees: null, dalo: null, dispatchScan: null, localEvents: null, reconcile: null },
        crypto: { keys: [{ id: 'k1', secret: { env: 'BENCH_KEY' } }], activeKeyId: 'k1' },
        events: { hmacSecret: { env: 'BENCH_HMAC' } },
        reconcile: { outDir: join(root, 'reports'), keep: 2, rateLimit: { max: rate, durationMs: 1000 } },
        logging: { level: 'warn', format: 'json' },
      };
      const configPath = join(root, 'config.yaml');
      writeFileSync(configPath, stringify(config));
      step('transpiling the sources for the measured child');
      const script = await build();
      step('measuring');
      const env = {
        ...process.env,
        BENCH_LOCAL_TOKEN: TOKEN,
        BENCH_KEY: Buffer.alloc(32, 9).toString('base64'),
        BENCH_HMAC: 'bench-hmac-secret-0123456789abcdef-0123',
      };
      const f = await runChild(script, [configPath, stock, TODAY], { ...env, ...(args.includes('--trace') ? { BENCH_TRACE: '1' } : {}) });
      const figures = {
        demandes: n,
        changesPerKind: k,
        stockMB: Math.round(written.files[0]!.bytes / 1e6),
        wallSeconds: Math.round(f.wallMs / 100) / 10,
        engineSeconds: Math.round(f.engineMs / 100) / 10,
        peakRssMB: Math.round(f.maxRssMB),
        targetedReads: f.reads,
        readsPerSecond: rate,
        stockParsed: f.parsed,
        splitter: f.splitter,
        counts: f.counts,
        within: f.wallMs < 60_000 && f.maxRssMB < 400,
      };
      console.log(
        `\n${n} demands (${figures.stockMB} MB stock): ${figures.wallSeconds} s in all (engine ${figures.engineSeconds} s), peak RSS ${figures.peakRssMB} MB; ` +
          `${f.reads} targeted reads at ${rate}/s, ${f.parsed} stock demands parsed; target < 60 s and < 400 MB: ${figures.within ? 'met' : 'NOT met'}`,
      );
      console.log(`findings: ${Object.entries(f.counts).filter(([, v]) => v).map(([kk, v]) => `${kk} ${v}`).join(', ')}`);
      return figures;
    } finally {
      await sne.close();
      await local.close();
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (found.length) await redis.unlink(...found);
      } while (cursor !== '0');
      redis.disconnect();
      if (keep) console.log(`kept: ${root}`);
      else rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;

/** The measured part: one reconciliation as `passerelle reconcile` runs it, with every report format. */
async function child(configPath: string, stock: string, today: string): Promise<void> {
  const started = performance.now();
  const { gatewayFromFile } = await import('../src/daemon/assemble');
  const { createLocalClient } = await import('../src/systems/local');
  const { createSystems } = await import('../src/systems');
  const { runReconciliation } = await import('../src/reconcile');
  const gateway = gatewayFromFile(configPath, []);
  const config = gateway.config;
  // Where the memory goes (`--trace`): the peak RSS and heap seen in each phase.
  let phase = 'start';
  const spans = new Map<string, { from: number; to: number }>();
  const peaks = new Map<string, { rss: number; heap: number; total: number; external: number }>();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    const p = peaks.get(phase) ?? { rss: 0, heap: 0, total: 0, external: 0 };
    const mb = (x: number) => Math.round(x / 1e6);
    peaks.set(phase, { rss: Math.max(p.rss, mb(m.rss)), heap: Math.max(p.heap, mb(m.heapUsed)), total: Math.max(p.total, mb(m.heapTotal)), external: Math.max(p.external, mb(m.external)) });
  }, 100);
  sampler.unref();
  const local = createLocalClient({ baseUrl: config.local.url, token: config.local.token, timeoutMs: 60_000 });
  const systems = createSystems({ config, codec: gateway.codec, logger: gateway.logger });
  try {
    await gateway.start();
    const r = await runReconciliation(
      gateway.reconcileDeps({ local, systems }),
      {
        stock,
        today,
        confirmMax: 100_000,
        onProgress: (p) => {
          phase = p.phase;
          const t = Math.round(performance.now() - started);
          const span = spans.get(p.phase);
          spans.set(p.phase, { from: span?.from ?? t, to: t });
        },
      },
    );
    clearInterval(sampler);
    if (process.env.BENCH_TRACE) console.error(`phases (s from start): ${[...spans].map(([k, v]) => `${k} ${(v.from / 1000).toFixed(1)}-${(v.to / 1000).toFixed(1)}`).join(', ')}`);
    if (process.env.BENCH_TRACE) console.error(`memory by phase (MB: rss / heap used / heap total / external): ${[...peaks].map(([k, v]) => `${k} ${v.rss}/${v.heap}/${v.total}/${v.external}`).join(', ')}`);
    const figures: ChildFigures = {
      wallMs: performance.now() - started,
      engineMs: r.report.durationMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      counts: r.report.counts,
      reads: r.report.confirmation.reads,
      parsed: r.report.source.parsed,
      ...(r.report.source.splitter ? { splitter: r.report.source.splitter } : {}),
      ...(r.written ? { reportDir: r.written.dir } : {}),
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    local.close();
    await Promise.all([...systems.values()].map((s) => s.close()));
    await gateway.close();
  }
}

if (require.main === module && process.argv[2] === '--child') {
  const [configPath, stock, today] = process.argv.slice(3);
  child(configPath!, stock!, today!).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  });
}
