import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway } from '../../src/daemon/gateway';
import type { Demande } from '../../src/domain';
import { generateDemandes } from '../../src/synthetic';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';

const t = useTestRedis('pull');
const codec = createInterfaceNuuCodec({ elements: loadElementTable() });

function dispatchFile(demandes: Demande[]): string {
  return buildInterfaceNuu(
    { versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2026-11-20T03:00:00.0+01:00' }, demandes },
    codec,
  );
}

describe('the pull of dispatch files into the local tool', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let gateway: Gateway;
  const logs = quietLogger();

  beforeAll(async () => {
    dirs = testDirs('pull');
    local = await startTestLocal();
    const config = testConfig({ dirs, prefix: `${t.prefix}-gw`, localUrl: local.sim.url });
    gateway = new Gateway({ config, logger: logs.logger, local: local.client, systems: new Map(), roles: ['worker'] });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway.close();
    await local.sim.close();
    await deleteByPrefix(t.redis, `${t.prefix}-gw`);
    dirs.cleanup();
  });

  it('delivers every demand of a dispatch file, field for field, and moves the file to done/', async () => {
    const demandes = generateDemandes({ count: 250, seed: 'pull-1' });
    writeFileSync(join(dirs.drop, 'DEMG0123-202611200300-000001.xml'), dispatchFile(demandes));
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ fetched: 250, valid: 250, quarantined: 0, unchanged: 0, changed: 250, delivered: 250, conflicts: 0, failed: 0 });
    for (const d of demandes.slice(0, 40)) {
      const stored = await local.client.getDemande(d.numUnique!);
      expect(stored?.record).toEqual(JSON.parse(JSON.stringify(d)));
    }
    expect(readdirSync(dirs.done)).toEqual(['DEMG0123-202611200300-000001.xml']);
    expect(readdirSync(dirs.drop)).toEqual([]);
  });

  it('finds nothing changed when the same demands come again, and writes nothing', async () => {
    const demandes = generateDemandes({ count: 250, seed: 'pull-1' });
    // Same demands, new file (another date): not the same file, same content.
    writeFileSync(join(dirs.drop, 'DEMG0123-202611210300-000001.xml'), dispatchFile(demandes).replace('2026-11-20T03', '2026-11-21T03'));
    const before = (await (await fetch(`${local.sim.url}/_sim/stats`, { headers: { authorization: 'Bearer test-local-token-0123456789' } })).json()) as { writes: number };
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.counts).toMatchObject({ fetched: 250, unchanged: 250, changed: 0, delivered: 0 });
    const after = (await (await fetch(`${local.sim.url}/_sim/stats`, { headers: { authorization: 'Bearer test-local-token-0123456789' } })).json()) as { writes: number };
    expect(after.writes).toBe(before.writes);
  });

  it('does not read a file it has already processed (same content), and moves it to done/', async () => {
    const again = readFileSync(join(dirs.done, 'DEMG0123-202611200300-000001.xml'));
    writeFileSync(join(dirs.drop, 'copy.xml'), again);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.counts.fetched).toBe(0);
    expect(readdirSync(dirs.done)).toContain('copy.xml');
  });

  it('reads a file once when a copy of it comes in the same scan, and moves both to done/', async () => {
    const xml = dispatchFile(generateDemandes({ count: 20, seed: 'pull-copy' })).replace('2026-11-20T03', '2026-11-25T03');
    writeFileSync(join(dirs.drop, 'A-copy-test.xml'), xml);
    writeFileSync(join(dirs.drop, 'B-copy-test.xml'), xml);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.counts).toMatchObject({ fetched: 20, changed: 20, delivered: 20 });
    expect(readdirSync(dirs.done)).toEqual(expect.arrayContaining(['A-copy-test.xml', 'B-copy-test.xml']));
  });

  it('delivers the valid demands of a page holding malformed and invalid ones, and quarantines the others with their reason', async () => {
    const demandes = generateDemandes({ count: 20, seed: 'pull-2' });
    let xml = dispatchFile(demandes);
    // Demand 3: an impossible birth date; demand 7: an amount that is not a number.
    const dates = [...xml.matchAll(/<dateNaissance>(\d{4}-\d{2}-\d{2})<\/dateNaissance>/g)];
    const blocks = xml.split('<demandeLogement>');
    blocks[4] = blocks[4]!.replace(/<dateNaissance>\d{4}-\d{2}-\d{2}<\/dateNaissance>/, '<dateNaissance>1990-02-30</dateNaissance>');
    blocks[8] = blocks[8]!.replace(/<montant>\d+<\/montant>/, '<montant>beaucoup</montant>');
    // Demand 11: not well-formed XML (an undefined entity), which only the demand's own parsing sees.
    blocks[12] = blocks[12]!.replace(/<nom>([^<]*)<\/nom>/, '<nom>$1 &pasdefini;</nom>');
    xml = blocks.join('<demandeLogement>');
    expect(dates.length).toBeGreaterThan(0);
    writeFileSync(join(dirs.drop, 'DEMG0123-202611220300-000001.xml'), xml);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ fetched: 20, valid: 17, quarantined: 3, delivered: 17 });
    const q = await gateway.quarantine.list({ source: 'dispatch' });
    expect(q.map((e) => e.index).sort((a, b) => a! - b!)).toEqual([3, 7, 11]);
    expect(q.flatMap((e) => e.issues.map((i) => i.path))).toEqual(expect.arrayContaining(['demandeur.dateNaissance']));
    const malformed = q.find((e) => e.index === 11)!;
    expect(malformed).toMatchObject({ numUnique: demandes[11]!.numUnique, issues: [expect.objectContaining({ rule: 'xml-malformed' })] });
    expect(malformed.issues[0]!.message).toMatch(/line \d+, column \d+/);
    expect(JSON.stringify(malformed)).not.toContain(demandes[11]!.demandeur.nom);
    expect(JSON.stringify(q)).not.toContain('1990-02-30');
    expect(await local.client.getDemande(demandes[3]!.numUnique!)).toBeNull();
    expect(await local.client.getDemande(demandes[4]!.numUnique!)).not.toBeNull();
  });

  it('rejects a file that is not readable XML with a reason beside it, keeping the demands read before the fault', async () => {
    const demandes = generateDemandes({ count: 30, seed: 'pull-3' });
    const xml = dispatchFile(demandes);
    const cut = xml.slice(0, xml.lastIndexOf('<demandeLogement>') + 40);
    writeFileSync(join(dirs.drop, 'DEMG0123-202611230300-000001.xml'), cut);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.counts.delivered).toBe(29);
    const rejected = readdirSync(dirs.rejected);
    expect(rejected).toEqual(expect.arrayContaining(['DEMG0123-202611230300-000001.xml', 'DEMG0123-202611230300-000001.xml.reason.json']));
    const reason = JSON.parse(readFileSync(join(dirs.rejected, 'DEMG0123-202611230300-000001.xml.reason.json'), 'utf8'));
    expect(reason.error.code).toMatch(/XML/);
  });

  it('leaves a half-written file alone until it is complete', async () => {
    const config = testConfig({ dirs, prefix: `${t.prefix}-gw`, localUrl: local.sim.url, extra: { dispatch: { dropDir: dirs.drop, doneDir: dirs.done, rejectedDir: dirs.rejected, stableMs: 60_000 } } });
    const slow = new Gateway({ config, logger: logs.logger, local: local.client, systems: new Map(), roles: [] });
    await slow.start();
    writeFileSync(join(dirs.drop, 'DEMG0123-202611240300-000001.xml'), dispatchFile(generateDemandes({ count: 5, seed: 'pull-4' })));
    writeFileSync(join(dirs.drop, 'partial.xml.part'), '<interfaceNuu');
    const source = slow.sources().get('dispatch')!;
    const pages = [];
    for await (const p of source.pages(undefined, {})) pages.push(p);
    expect(pages).toEqual([]);
    expect(existsSync(join(dirs.drop, 'DEMG0123-202611240300-000001.xml'))).toBe(true);
    await slow.close();
  });
});
