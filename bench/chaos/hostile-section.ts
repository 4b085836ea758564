/**
 * The hostile-input section of the suite: every case of `hostile.ts` (with the process's memory
 * watched), the codec properties of `fuzz.ts`, and hostile dispatch files dropped in front of a running
 * daemon after a first sync: the daemon must stay up, refuse each hostile file (moved to `rejected/`
 * with its reason), take in the good demands of a file holding one bad demand (quarantined), and leave
 * every demand accepted before untouched.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCodecProperties } from './fuzz';
import { hostileCases, CANARY } from './hostile';
import { createWorld, emptyResult, secs, spawnDaemon, waitForQuiescence, type ChildDaemon, type SectionResult } from './support';

export interface HostileOptions {
  seed: string;
  quick: boolean;
  log?: (line: string) => void;
}

const MiB = 1024 * 1024;

function maxRssBytes(): number {
  // `maxRSS` is in kibibytes.
  return process.resourceUsage().maxRSS * 1024;
}

async function runCases(result: SectionResult, log: (line: string) => void): Promise<number> {
  const cases = hostileCases({ large: true });
  const baseline = process.memoryUsage().rss;
  let worstGrowth = { bytes: 0, name: '' };
  let failed = 0;
  const byTarget: Record<string, number> = {};
  for (const c of cases) {
    const peakBefore = maxRssBytes();
    const t0 = Date.now();
    let verdict;
    try {
      verdict = await c.run();
    } catch (e) {
      verdict = { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: 'the case itself threw' };
    }
    const growth = Math.max(0, maxRssBytes() - Math.max(peakBefore, baseline));
    if (growth > worstGrowth.bytes) worstGrowth = { bytes: growth, name: c.name };
    byTarget[c.target] = (byTarget[c.target] ?? 0) + 1;
    if (!verdict.ok) {
      if (!c.knownDefect) failed++;
      result.checks.push({
        name: `hostile ${c.target}: ${c.name}`,
        ok: false,
        detail: `${verdict.outcome}${verdict.detail ? `: ${verdict.detail}` : ''}`,
        ...(c.knownDefect ? { knownDefect: c.knownDefect } : {}),
      });
    }
    if (Date.now() - t0 > 5_000) log(`  slow case: ${c.target} ${c.name} (${secs(Date.now() - t0)})`);
  }
  result.checks.push({ name: `hostile inputs to the codec, the MTOM parser and the configuration: each refused clearly or quarantined (known defects apart)`, ok: failed === 0, detail: `${cases.length - failed}/${cases.length} (${Object.entries(byTarget).map(([k, v]) => `${k} ${v}`).join(', ')})` });
  const limit = 1024 * MiB;
  result.checks.push({ name: 'memory stays bounded: no hostile case grows the process by 1 GiB or more', ok: worstGrowth.bytes < limit, detail: `largest growth ${Math.round(worstGrowth.bytes / MiB)} MiB (${worstGrowth.name || 'none'}), peak RSS ${Math.round(maxRssBytes() / MiB)} MiB` });
  result.figures.hostileCases = cases.length;
  result.figures.worstGrowthMiB = Math.round(worstGrowth.bytes / MiB);
  result.figures.worstGrowthCase = worstGrowth.name;
  return cases.length;
}

async function runFuzz(o: HostileOptions, result: SectionResult, log: (line: string) => void): Promise<number> {
  const t0 = Date.now();
  const props = await runCodecProperties({ scale: o.quick ? 1 : 2, seed: Number.parseInt(String(o.seed).replace(/\D/g, '').slice(0, 8) || '1', 10) });
  let runs = 0;
  for (const p of props) {
    runs += p.runs;
    result.checks.push({ name: `codec property: ${p.name}`, ok: p.ok, detail: p.ok ? `${p.runs} cases` : `${p.error ?? ''} (replay: ${p.replay ?? ''})` });
  }
  log(`  fuzzer: ${runs} generated cases in ${secs(Date.now() - t0)}`);
  result.figures.fuzzCases = runs;
  return runs;
}

/** Hostile dispatch files, in front of a running daemon; returns the number of files dropped. */
async function runDispatch(o: HostileOptions, result: SectionResult, log: (line: string) => void): Promise<number> {
  const first = 100;
  const extra = 20;
  const world = await createWorld({ name: 'hostile-dispatch', seed: `${o.seed}-hostile`, count: first + extra, extra: { pull: { pageSize: 50, parseThreads: 1 } } });
  let daemon: ChildDaemon | undefined;
  try {
    const all = [...world.sne.store.iterate()].map((r) => r.numUnique).sort();
    const accepted = all.slice(0, first);
    const later = all.slice(first);
    await world.sne.writeDispatchFile({ dir: world.dirs.drop, numUniques: accepted, perFile: first });
    daemon = spawnDaemon(world.configPath, world.logPath);
    const one = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
    await waitForQuiescence(world, one.jobId, one.runId);
    const before = new Map(accepted.map((nu) => [nu, JSON.stringify(world.local.sim.store.getDemande(nu))]));

    // The hostile files, and one file of good demands with one bad demand among them.
    const staging = join(world.dirs.root, 'staging');
    const { files } = await world.sne.writeDispatchFile({ dir: staging, numUniques: later, perFile: extra });
    const good = readFileSync(join(staging, files[0]?.name ?? ''), 'utf8');
    const head = good.slice(0, good.indexOf('<demandeLogement>'));
    const hostile: Record<string, string | Buffer> = {
      'laughs.xml': `<?xml version="1.0"?><!DOCTYPE interfaceNuu [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${good.replace(/^<\?xml[^>]*>/, '').replace('<numGuichet>', '<remarque>&c;</remarque><numGuichet>')}`,
      'xxe.xml': `<?xml version="1.0"?><!DOCTYPE interfaceNuu [<!ENTITY x SYSTEM "file:///etc/passwd">]>${good.replace(/^<\?xml[^>]*>/, '')}`,
      'deep.xml': `${head}<demandeLogement>${'<x>'.repeat(100_000)}${'</x>'.repeat(100_000)}</demandeLogement></interfaceNuu>`,
      'invalid-utf8.xml': Buffer.concat([Buffer.from(head), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('</interfaceNuu>')]),
      // Cut inside its first demand: nothing of it is taken in.
      'truncated.xml': good.slice(0, head.length + 300),
      'garbage.xml': Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24)),
      'empty.xml': '',
      'not-sne.xml': `<?xml version="1.0"?><html><body>${CANARY}</body></html>`,
      'huge-demand.xml': `${head}<demandeLogement><remarque>${'x'.repeat(6 * MiB)}</remarque></demandeLogement></interfaceNuu>`,
    };
    // The 3rd demand of the good file gets a date that is not one: quarantined, the others delivered.
    let k = 0;
    const mixed = good.replace(/<dateNaissance>[^<]*<\/dateNaissance>/g, (m) => (++k === 3 ? `<dateNaissance>${CANARY}</dateNaissance>` : m));
    for (const [name, body] of Object.entries(hostile)) writeFileSync(join(world.dirs.drop, name), body);
    writeFileSync(join(staging, 'mixed.tmp'), mixed);
    renameSync(join(staging, 'mixed.tmp'), join(world.dirs.drop, 'mixed.xml'));

    const two = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
    const settled = await waitForQuiescence(world, two.jobId, two.runId);
    const alive = daemon.child.exitCode === null && daemon.child.signalCode === null;
    const rejected = readdirSync(world.dirs.rejected).filter((f) => !f.endsWith('.reason.json'));
    const reasons = readdirSync(world.dirs.rejected).filter((f) => f.endsWith('.reason.json'));
    const reasonTexts = reasons.map((f) => readFileSync(join(world.dirs.rejected, f), 'utf8'));
    const done = readdirSync(world.dirs.done);
    const untouched = accepted.filter((nu) => JSON.stringify(world.local.sim.store.getDemande(nu)) === before.get(nu)).length;
    const laterThere = later.filter((nu) => world.local.sim.store.getDemande(nu) !== null).length;
    const quarantined = await world.trigger.quarantine.list({ limit: 100 });
    const expectedRejected = Object.keys(hostile).length;
    result.checks.push({ name: 'hostile dispatch files: the daemon stays up', ok: alive, detail: alive ? 'running' : `exited ${String(daemon.child.exitCode ?? daemon.child.signalCode)}` });
    result.checks.push({
      name: 'hostile dispatch files: each moved to rejected/ with its reason, none quoting its content',
      ok: rejected.length === expectedRejected && reasons.length === expectedRejected && reasonTexts.every((t) => !t.includes(CANARY)),
      detail: `${rejected.length}/${expectedRejected} rejected, ${reasons.length} reasons (${[...new Set(reasonTexts.map((t) => (JSON.parse(t) as { error?: { code?: string } }).error?.code))].join(', ')})`,
    });
    result.checks.push({
      name: 'a file with one bad demand: the others taken in, the bad one quarantined with its reason',
      ok: done.includes('mixed.xml') && laterThere === extra - 1 && quarantined.length === 1 && !JSON.stringify(quarantined).includes(CANARY),
      detail: `pull ${settled.job}, ${laterThere}/${extra - 1} delivered, ${quarantined.length} quarantined`,
    });
    result.checks.push({ name: 'hostile dispatch files: every demand accepted before is untouched', ok: untouched === first, detail: `${untouched}/${first}` });
    log(`  dispatch: ${expectedRejected + 1} hostile files after ${first} accepted demands: ${rejected.length} rejected, ${laterThere} good demands delivered, ${quarantined.length} quarantined, daemon ${alive ? 'up' : 'DOWN'}`);
    return expectedRejected + 1;
  } finally {
    await daemon?.kill('SIGKILL');
    await world.close();
  }
}

export async function runHostile(o: HostileOptions): Promise<SectionResult> {
  const result = emptyResult('hostile');
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  let inputs = 0;
  inputs += await runCases(result, log);
  inputs += await runFuzz(o, result, log);
  try {
    inputs += await runDispatch(o, result, log);
  } catch (e) {
    result.checks.push({ name: 'hostile dispatch files', ok: false, detail: e instanceof Error ? e.message : String(e) });
  }
  result.inputs = inputs;
  result.durationMs = Date.now() - started;
  return result;
}
