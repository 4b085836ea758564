/**
 * `npm run bench -- sne-client [--requests N] [--no-tls]`: requests per second and p50/p95 latency of
 * `getDemandeLogement` through the SNE client (build, MTOM, HTTP, parse of the answer with the codec)
 * against the SNE simulator on loopback, at concurrency 1, 8 and 32, over plain HTTP and over mutual TLS.
 *
 * The simulator runs in a worker thread (its own event loop, so on a 2-core machine client and server do
 * not share one thread); it regenerates each seeded demand on request, as it does at 300,000 demands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createInterfaceNuuCodec, loadElementTable } from '../src/codec';
import { generateDemande } from '../src/synthetic';
import { createSneClient, defaultAnomalyTablePath, type SneClientOptions } from '../src/systems/sne';
import { loadAnomalyTable } from '../src/systems/sne/wire';

const SEED = 'bench-sne';
const STOCK = 1000;
const CONCURRENCY = [1, 8, 32] as const;

interface Figures {
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
require('ts-node').register({ transpileOnly: true, project: workerData.project });
const { startSneSimulator } = require(workerData.module);
startSneSimulator(workerData.options).then((sim) => {
  parentPort.postMessage({ url: sim.url });
  parentPort.on('message', () => { sim.close().then(() => parentPort.postMessage({ closed: true })); });
});
`;

async function startInWorker(options: Record<string, unknown>): Promise<{ url: string; stop: () => Promise<void> }> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { project: join(__dirname, '..', 'tsconfig.json'), module: join(__dirname, '..', 'src', 'simulators', 'sne'), options },
  });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { url: string }) => resolve(m.url));
    worker.once('error', reject);
  });
  return {
    url,
    stop: async () => {
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(options: SneClientOptions, numbers: string[], concurrency: number, requests: number): Promise<Figures> {
  const client = createSneClient(options);
  try {
    // Warm-up: connections, JIT.
    for (let i = 0; i < 50; i++) await client.getDemande(numbers[i % numbers.length] as string);
    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const nu = numbers[next++ % numbers.length] as string;
          const t = process.hrtime.bigint();
          const r = await client.getDemande(nu);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          if (!r?.ok) throw new Error('the simulator did not return the demand');
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    return {
      requests,
      rps: Math.round(requests / seconds),
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p95Ms: Number(percentile(latencies, 95).toFixed(2)),
    };
  } finally {
    await client.close();
  }
}

async function series(label: string, base: SneClientOptions, numbers: string[], requests: number): Promise<Record<string, Figures>> {
  const out: Record<string, Figures> = {};
  for (const c of CONCURRENCY) {
    const f = await measure(base, numbers, c, requests);
    out[`c${c}`] = f;
    console.log(`${label.padEnd(5)} concurrency ${String(c).padStart(2)}: ${String(f.rps).padStart(5)} req/s  p50 ${f.p50Ms} ms  p95 ${f.p95Ms} ms`);
  }
  return out;
}

export default {
  description: 'getDemandeLogement through the SNE client against the simulator on loopback: req/s, p50/p95 at concurrency 1, 8, 32 (HTTP and mutual TLS)',
  async run(args: string[]): Promise<Record<string, unknown>> {
    const at = args.indexOf('--requests');
    const requests = at >= 0 ? Number(args[at + 1]) : 2000;
    const withTls = !args.includes('--no-tls');
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    const anomalyTable = loadAnomalyTable(defaultAnomalyTablePath);
    const numbers = Array.from({ length: STOCK }, (_, i) => generateDemande(SEED, i).numUnique as string);
    const simOptions = { seed: SEED, count: STOCK, indexAtStart: false };
    const figures: Record<string, unknown> = { requests, stock: STOCK };

    const plain = await startInWorker(simOptions);
    try {
      figures.http = await series('http', { url: plain.url, guichet: 'G0123', timeoutMs: 30_000, interfaceVersion: '02.01', codec, anomalyTable }, numbers, requests);
    } finally {
      await plain.stop();
    }

    if (withTls) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-sne-tls-'));
      try {
        execFileSync('bash', [join(__dirname, '..', 'scripts', 'gen-test-tls.sh'), dir], { stdio: 'pipe' });
        const file = (name: string): Buffer => readFileSync(join(dir, name));
        const secure = await startInWorker({ ...simOptions, tls: { cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt') } });
        try {
          figures.tls = await series('mtls', {
            url: secure.url,
            guichet: 'G0123',
            timeoutMs: 30_000,
            interfaceVersion: '02.01',
            codec,
            anomalyTable,
            tls: { cert: file('client.crt'), key: file('client.key'), ca: file('ca.crt') },
          }, numbers, requests);
        } finally {
          await secure.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return figures;
  },
};
