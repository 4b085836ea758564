import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { isGatewayError } from '../../src/errors';
import { resolveStockFile, scanStock, type StockItem } from '../../src/reconcile';
import { generateDemandes } from '../../src/synthetic';

const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
const prefixed = createInterfaceNuuCodec({ elements: loadElementTable(), namespace: { uri: 'http://nuu.application.i2/', prefix: 'ns2' } });
const demandes = generateDemandes({ count: 40, seed: 'reconcile-stock' });
const entete = { typeFichier: 'DIS' as const, dateFichier: '2025-03-14T03:00:00.0+01:00' };

describe('reading a stock file demand by demand', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-stock-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, xml: string) => {
    const p = join(dir, name);
    writeFileSync(p, xml);
    return p;
  };
  const read = async (path: string, options: { forceCodec?: boolean; chunkBytes?: number } = {}) => {
    const items: Array<Omit<StockItem, 'bytes' | 'xml' | 'rawHash'> & { rawHash: string; xml: string }> = [];
    let restarts = 0;
    const result = await scanStock(path, {
      codec,
      ...options,
      onRestart: async () => {
        restarts++;
        items.length = 0;
      },
      onItem: (item) => {
        items.push({ index: item.index, numUnique: item.numUnique, rawHash: item.rawHash.toString('hex'), xml: item.xml() });
      },
    });
    return { items, result, restarts };
  };

  it.each([
    ['one demande per demand', codec, 'demande'],
    ['every demandeLogement in one demande', codec, 'demandeLogement'],
    ['a namespace prefix', prefixed, 'demande'],
  ] as const)('splits at byte level exactly as the checking splitter does (%s), with the hashes of the pull', async (_what, c, form) => {
    const path = write(`s-${form}-${c === prefixed ? 'p' : 'n'}.xml`, buildInterfaceNuu({ versionInterface: '02.01', entete, demandes, form }, c));
    const fast = await read(path, { chunkBytes: 4096 });
    const checked = await read(path, { forceCodec: true });
    expect(fast.result).toMatchObject({ splitter: 'fast', demandes: 40, header: { versionInterface: '02.01', typeFichier: 'DIS', dateFichier: entete.dateFichier } });
    expect(checked.result.splitter).toBe('codec');
    expect(fast.items).toEqual(checked.items);
    expect(fast.items.map((i) => i.numUnique)).toEqual(demandes.map((d) => d.numUnique));
    // The pull hashes the fragment's text as the codec split it.
    for (const it of checked.items) expect(it.rawHash).toBe(createHash('sha256').update(it.xml).digest('hex'));
  });

  it('falls back to the checking splitter, from the start, when the file holds a comment', async () => {
    const xml = buildInterfaceNuu({ versionInterface: '02.01', entete, demandes: demandes.slice(0, 5) }, codec).replace('</demande>', '</demande><!-- <demandeLogement> -->');
    const { items, result, restarts } = await read(write('comment.xml', xml), { chunkBytes: 1024 });
    expect(restarts).toBe(1);
    expect(result.splitter).toBe('codec');
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4]);
    expect(result.problems.map((p) => p.rule)).toContain('checking-splitter');
  });

  it('refuses a truncated file instead of reporting the demands it lacks as gone', async () => {
    const xml = buildInterfaceNuu({ versionInterface: '02.01', entete, demandes: demandes.slice(0, 5) }, codec);
    const cut = xml.slice(0, xml.lastIndexOf('</demande>') + '</demande>'.length);
    await expect(read(write('cut.xml', cut))).rejects.toMatchObject({ code: 'RECONCILE_STOCK_TRUNCATED' });
  });

  it('takes the newest .xml file of a folder, ignoring files still being written', async () => {
    const sub = mkdtempSync(join(dir, 'folder-'));
    writeFileSync(join(sub, 'a.xml'), '<x/>');
    writeFileSync(join(sub, 'b.xml'), '<x/>');
    writeFileSync(join(sub, 'c.xml.part'), '<x/>');
    utimesSync(join(sub, 'a.xml'), new Date(), new Date(Date.now() + 60_000));
    expect(await resolveStockFile(sub)).toBe(join(sub, 'a.xml'));
    const missing = await resolveStockFile(join(sub, 'nope')).catch((e: unknown) => e);
    expect(isGatewayError(missing) && missing.code).toBe('RECONCILE_STOCK_NOT_FOUND');
  });
});
