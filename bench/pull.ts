/**
 * `npm run bench -- pull [--demandes N]`: syncs 10,000 / 100,000 / 300,000 demands (or N) from the SNE
 * simulator's dispatch files into the local-tool simulator through the product, and runs a raw
 * one-thread baseline on the same files in the same run (parse with fast-xml-parser, validate, hash,
 * ledger, bulk-add to BullMQ; no delivery). Each side runs in its own process, so its peak memory is its
 * own; the local-tool simulator runs in a third one. Prints records/s, peak memory and product/raw.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { startSneSimulator } from '../src/simulators/sne';
import type { Benchmark } from './run';
import { runChild, startChild } from './support/child';

interface Side {
  records: number;
  seconds: number;
  peakRssMb: number;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'bench-local-token-0123456789';
const KEY = Buffer.alloc(32, 3).toString('base64');

async function clean(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, found] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await r.unlink(...found);
  } while (cursor !== '0');
  r.disconnect();
}

async function one(n: number): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-bench-pull-'));
  const dirs = { in: join(root, 'in'), done: join(root, 'done'), rejected: join(root, 'rejected'), raw: join(root, 'raw') };
  Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
  const prefix = `bench-pull-${process.pid}-${n}`;
  const sne = await startSneSimulator({ seed: 'bench', count: n });
  const written = await sne.writeDispatchFile({ dir: dirs.raw, all: true, perFile: 50_000 });
  await sne.close();
  // The product reads (and moves) its own copy; the raw baseline reads the other.
  for (const f of written.files) {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(join(dirs.raw, f.name), join(dirs.in, f.name));
  }
  const local = await startChild<{ url: string }>('local-sim.ts', [join(root, 'local.db'), TOKEN]);
  const configPath = join(root, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      redis: { url: REDIS_URL, prefix },
      sne: { url: 'http://127.0.0.1:1', guichet: 'G0123' },
      local: { url: local.info.url, token: { env: 'BENCH_LOCAL_TOKEN' } },
      territory: { department: '35', delaiAnormalementLongMonths: 24 },
      dispatch: { dropDir: dirs.in, doneDir: dirs.done, rejectedDir: dirs.rejected, stableMs: 0 },
      schedules: { radiees: null, dalo: null, dispatchScan: null, localEvents: null, reconcile: null },
      queues: { concurrency: { deliver: 32 } },
      crypto: { keys: [{ id: 'b1', secret: { env: 'BENCH_KEY' } }], activeKeyId: 'b1' },
      events: { hmacSecret: { env: 'BENCH_HMAC' } },
      logging: { level: 'warn', format: 'json' },
    }),
  );
  const env = { BENCH_LOCAL_TOKEN: TOKEN, BENCH_KEY: KEY, BENCH_HMAC: 'bench-hmac-secret-0123456789abcdefghij' };
  try {
    const raw = (await runChild<Side>('pull-raw.ts', [dirs.raw, REDIS_URL, `${prefix}-raw`])).result;
    const product = (await runChild<Side>('pull-product.js', [configPath], env)).result;
    const productRate = product.records / product.seconds;
    const rawRate = raw.records / raw.seconds;
    console.log(
      `${String(n).padStart(7)} demands | product ${productRate.toFixed(0)} rec/s, peak ${product.peakRssMb} MiB, ${product.seconds.toFixed(1)} s` +
        ` | raw ${rawRate.toFixed(0)} rec/s, peak ${raw.peakRssMb} MiB | product/raw ${(productRate / rawRate).toFixed(2)}`,
    );
    return {
      [`n${n}_product_rps`]: Math.round(productRate),
      [`n${n}_raw_rps`]: Math.round(rawRate),
      [`n${n}_ratio`]: Number((productRate / rawRate).toFixed(2)),
      [`n${n}_product_peak_mib`]: product.peakRssMb,
      [`n${n}_raw_peak_mib`]: raw.peakRssMb,
    };
  } finally {
    local.stop();
    await clean(prefix);
    await clean(`${prefix}-raw`);
    rmSync(root, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  description: 'pull of dispatch files into the local tool: product vs a raw one-thread baseline (records/s, peak memory)',
  async run(args) {
    // The product runs compiled, as in production.
    execFileSync(process.execPath, [join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(__dirname, '..', 'tsconfig.build.json')], { stdio: 'inherit' });
    const i = args.indexOf('--demandes');
    const sizes = i >= 0 ? [Number(args[i + 1])] : [10_000, 100_000, 300_000];
    const figures: Record<string, number> = {};
    for (const n of sizes) Object.assign(figures, await one(n));
    return figures;
  },
};
export default bench;
