'use strict';
/**
 * Child process of `npm run bench -- pull`: the product's pull of the dispatch files in a folder into the
 * local-tool simulator, through the real gateway (worker role), run from the compiled build (`dist/`),
 * as in production: no TypeScript compiler in memory. Prints one JSON line.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const dist = join(__dirname, '..', '..', 'dist');
const { Gateway } = require(join(dist, 'daemon', 'gateway'));
const { loadConfig } = require(join(dist, 'config'));
const { createLogger } = require(join(dist, 'logging'));
const { createLocalClient } = require(join(dist, 'systems', 'local'));

function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
}

async function main() {
  const config = loadConfig({ path: process.argv[2] });
  const logger = createLogger({ level: 'warn', format: 'json' });
  const local = createLocalClient({ baseUrl: config.local.url, token: config.local.token });
  const gateway = new Gateway({ config, logger, local, systems: new Map(), roles: ['worker'] });
  await gateway.start();
  const started = process.hrtime.bigint();
  const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'bench' });
  const run = await gateway.waitForRun(runId, { timeoutMs: 3600000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await gateway.close();
  process.stdout.write(`${JSON.stringify({ records: run.counts.delivered, seconds, peakRssMb: peakRssMb(), counts: run.counts })}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack}\n`);
  process.exit(1);
});
