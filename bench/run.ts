/**
 * `npm run bench -- <name> [options]`: runs `bench/<name>.ts`. Each benchmark prints its figures, with
 * ratios measured in the same run, and ends with one JSON line of them.
 * `npm run bench` alone lists the benchmarks.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Benchmark {
  /** One line saying what is measured. */
  description: string;
  /** Runs the benchmark; prints as it goes; returns the figures for the final JSON line. */
  run(args: string[]): Promise<Record<string, unknown>>;
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'support.ts'].includes(f))
    .map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    console.log(`usage: npm run bench -- <${available.join('|')}> [options]`);
    process.exitCode = name ? 2 : 0;
    return;
  }
  const mod = (await import(join(__dirname, `${name}.ts`))) as { default: Benchmark };
  console.log(`# bench ${name}: ${mod.default.description}`);
  const figures = await mod.default.run(args);
  console.log(JSON.stringify({ bench: name, ...figures }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
