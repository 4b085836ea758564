/**
 * `npm run reliability [-- --quick] [--seed S] [--only crash,redis,faults,hostile,security] [--trials N]`
 *
 * The reliability and security suite (docs/reliability.md): crash trials, a Redis restart, faulty
 * services, hostile input and security checks, one after the other (never in parallel: the machine is
 * shared). Prints each section's checks and figures, writes them to `artifacts/reliability.json`, and
 * ends with one JSON line `{"trials":N,"faults":N,"inputs":N,"lost":0,"duplicates":0,"leaks":0,...}`.
 * Exits 1 when a check fails (a check that could not run is reported as not run, never as passed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCrashTrials } from './crash';
import { runFaults } from './faults';
import { runHostile } from './hostile-section';
import { runSecurity } from './security';
import { runRedisRestart } from './redis-restart';
import { leakTally, REPO_ROOT, secs, type SectionResult } from './support';

export const SECTIONS = ['crash', 'redis', 'faults', 'hostile', 'security'] as const;
export type Section = (typeof SECTIONS)[number];

export interface SuiteOptions {
  quick: boolean;
  seed: string;
  only: Section[];
  trials: number;
  count: number;
  /** Replays trials from this index of the seed (`--first-trial`). */
  firstTrial: number;
}

export function parseArgs(argv: string[]): SuiteOptions {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = (value('--only') ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is Section => (SECTIONS as readonly string[]).includes(s));
  const trials = Number(value('--trials') ?? (quick ? 8 : 50));
  const count = Number(value('--count') ?? (quick ? 300 : 400));
  return { quick, seed: value('--seed') ?? 'reliability-1', only, trials, count, firstTrial: Number(value('--first-trial') ?? 0) };
}

async function runSection(name: Section, o: SuiteOptions, log: (line: string) => void): Promise<SectionResult> {
  switch (name) {
    case 'crash':
      return runCrashTrials({ seed: o.seed, firstTrial: o.firstTrial, trials: o.trials, count: o.count, maxKills: 3, events: o.quick ? 40 : 60, pushDemands: 20, log });
    case 'redis':
      return runRedisRestart({ seed: o.seed, count: o.count, log });
    case 'faults':
      return runFaults({ seed: o.seed, count: o.count, sneReads: o.quick ? 40 : 80, pushEvents: o.quick ? 40 : 80, log });
    case 'hostile':
      return runHostile({ seed: o.seed, quick: o.quick, log });
    case 'security':
      return runSecurity({ seed: o.seed, log });
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  const started = Date.now();
  log(`# reliability suite (${o.quick ? 'quick' : 'full'}, seed ${o.seed}): ${o.only.join(', ')}`);
  const results: SectionResult[] = [];
  for (const s of o.only) {
    log(`\n## ${s}`);
    let r: SectionResult;
    try {
      r = await runSection(s, o, log);
    } catch (e) {
      r = { section: s, lost: 0, duplicates: 0, leaks: 0, checks: [{ name: `section ${s} ran`, ok: false, detail: e instanceof Error ? e.message : String(e) }], figures: {}, durationMs: 0 };
    }
    for (const c of r.checks) log(`  ${c.notRun ? 'NOT RUN' : c.ok ? 'ok     ' : c.knownDefect ? 'KNOWN  ' : 'FAILED '} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    log(`  figures: ${JSON.stringify(r.figures)} (${secs(r.durationMs)})`);
    results.push(r);
  }
  // Every daemon log of every section was scanned when its world closed.
  const evidence: SectionResult = {
    section: 'evidence',
    lost: 0,
    duplicates: 0,
    leaks: leakTally.personal + leakTally.secrets,
    checks: [
      {
        name: 'daemon logs and rejected-file reasons of every trial: no personal value, no secret',
        ok: leakTally.personal + leakTally.secrets === 0,
        detail: `${leakTally.scanned} texts, ${Math.round(leakTally.bytes / 1024)} KiB scanned; ${leakTally.personal} personal value(s), ${leakTally.secrets} secret(s)${leakTally.where.length ? ` in ${leakTally.where.slice(0, 5).join('; ')}` : ''}`,
      },
    ],
    figures: { texts: leakTally.scanned, kib: Math.round(leakTally.bytes / 1024) },
    durationMs: 0,
  };
  if (leakTally.scanned) {
    log('\n## evidence');
    for (const c of evidence.checks) log(`  ${c.ok ? 'ok     ' : 'FAILED '} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    results.push(evidence);
  }
  const sum = (k: 'trials' | 'faults' | 'inputs' | 'lost' | 'duplicates' | 'leaks') => results.reduce((n, r) => n + (r[k] ?? 0), 0);
  const checks = results.flatMap((r) => r.checks);
  const failedAll = checks.filter((c) => !c.ok && !c.notRun);
  const known = failedAll.filter((c) => c.knownDefect);
  const failed = failedAll.filter((c) => !c.knownDefect);
  const notRun = checks.filter((c) => c.notRun);
  const summary = {
    trials: sum('trials'),
    faults: sum('faults'),
    inputs: sum('inputs'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    leaks: sum('leaks'),
    checks: checks.length,
    failed: failed.length,
    knownDefects: known.length,
    notRun: notRun.map((c) => c.name),
    mode: o.quick ? 'quick' : 'full',
    seed: o.seed,
    durationS: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync(join(REPO_ROOT, 'artifacts'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'artifacts', 'reliability.json'), `${JSON.stringify({ summary, results }, null, 2)}\n`);
  log(`\n# summary: ${checks.length - failedAll.length - notRun.length} checks passed, ${failed.length} failed, ${known.length} known defects, ${notRun.length} not run (${secs(Date.now() - started)})`);
  for (const c of failed) log(`  FAILED ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  for (const c of known) log(`  KNOWN DEFECT ${c.name}: ${c.knownDefect ?? ''}${c.detail ? ` (${c.detail})` : ''}`);
  for (const c of notRun) log(`  NOT RUN ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  log(JSON.stringify(summary));
  if (failed.length || summary.lost || summary.duplicates || summary.leaks) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
