/** The SNE simulator's stock: seeded demands regenerated on demand, changes, indexes, persistence. */
import fs from 'node:fs';
import path from 'node:path';
import { NUM_UNIQUE_USUAL } from '../../../src/domain';
import { generateDemande } from '../../../src/synthetic';
import { ChangeKind, dayStart, SneStore } from '../../../src/simulators/sne';
import { tempDir } from '../support/http';

const write = (numUnique: string, typeFichier: string, kind: ChangeKind, n = 1) => ({
  numUnique,
  typeFichier,
  kind,
  nomFichierDemande: `DEMG0123-202503141041-${String(n).padStart(6, '0')}.xml`,
  blocks: [],
});

describe('SneStore', () => {
  const clock = () => new Date('2025-03-14T10:00:00.000Z');

  it('serves seeded demands as the generator makes them, and knows nothing else', () => {
    const store = new SneStore({ seed: 'store', count: 40, startIndex: 10, clock });
    try {
      const d = generateDemande('store', 25);
      expect(store.get(d.numUnique as string)?.demande).toEqual(d);
      expect(store.get(generateDemande('store', 9).numUnique as string)).toBeUndefined();
      expect(store.get(generateDemande('store', 50).numUnique as string)).toBeUndefined();
      expect(store.get(generateDemande('other', 25).numUnique as string)).toBeUndefined();
      expect([...store.iterate()].map((r) => r.numUnique)).toEqual(Array.from({ length: 40 }, (_, i) => generateDemande('store', 10 + i).numUnique));
      expect(store.stats().demandes).toBe(40);
    } finally {
      store.close();
    }
  });

  it('numbers created demands in the usual layout, after the seeded ones and never twice', () => {
    const store = new SneStore({ seed: 3, count: 5, clock });
    try {
      const a = store.nextNumUnique('2025-03-10', 'G0123');
      expect(a).toMatch(NUM_UNIQUE_USUAL);
      expect(a.slice(0, 7)).toBe('0350325');
      expect(a.slice(13)).toBe('G0123');
      store.put({ numUnique: a, demande: { ...generateDemande(3, 100, { mode: 'creation' }), numUnique: a }, origin: 'created' }, write(a, 'CRE', ChangeKind.create));
      const b = store.nextNumUnique('2025-03-10', 'G0123');
      expect(b).not.toBe(a);
      expect(store.stats()).toMatchObject({ demandes: 6, writes: 1, writesByType: { CRE: 1 } });
      expect([...store.iterate()].map((r) => r.numUnique).slice(-1)).toEqual([a]);
    } finally {
      store.close();
    }
  });

  it('lists seeded radiations and DALO decisions from the start of their day, and later changes from their time', async () => {
    const store = new SneStore({ seed: 8, count: 300, clock });
    try {
      const seeded = Array.from({ length: 300 }, (_, i) => generateDemande(8, i));
      const radiated = seeded.filter((d) => d.radiation && d.radiation.date >= '2025-01-01');
      const since = Date.parse('2025-01-01T00:00:00+01:00');
      const got = await store.radieesDepuis(since);
      expect(got.map((r) => r.numUnique).sort()).toEqual(radiated.map((d) => d.numUnique).sort());
      const dated = got.map((r) => Date.parse(r.radiatedAt as string));
      expect(dated).toEqual([...dated].sort((x, y) => x - y));
      const withDalo = seeded.filter((d) => d.dalo?.dateDecision !== undefined);
      expect((await store.daloDepuis(0)).map((r) => r.numUnique).sort()).toEqual(withDalo.map((d) => d.numUnique).sort());

      // A radiation recorded now counts from now; a deleted demand is listed no more.
      const target = seeded.find((d) => !d.radiation)!;
      store.put(
        { numUnique: target.numUnique!, demande: { ...target, radiation: { motif: 'RADABA', date: '2025-03-14' } }, radiatedAt: clock().toISOString(), origin: 'seed' },
        write(target.numUnique!, 'RAD', ChangeKind.radiate),
      );
      expect((await store.radieesDepuis(clock().getTime())).map((r) => r.numUnique)).toEqual([target.numUnique]);
      store.remove(target.numUnique!, write(target.numUnique!, 'SUP', ChangeKind.remove, 2));
      expect(await store.radieesDepuis(clock().getTime())).toEqual([]);
      expect(store.get(target.numUnique!)).toBeUndefined();
      expect(store.isDeleted(target.numUnique!)).toBe(true);
      expect(store.stats().demandes).toBe(299);
    } finally {
      store.close();
    }
  });

  it('builds the same indexes in worker threads as in its own thread', async () => {
    const inThread = new SneStore({ seed: 8, count: 300, clock });
    const threaded = new SneStore({ seed: 8, count: 300, clock, scanInThreadBelow: 100, scanThreads: 2 });
    try {
      const numbers = (rs: Array<{ numUnique: string }>) => rs.map((r) => r.numUnique);
      expect(numbers(await threaded.radieesDepuis(0))).toEqual(numbers(await inThread.radieesDepuis(0)));
      expect(numbers(await threaded.daloDepuis(0))).toEqual(numbers(await inThread.daloDepuis(0)));
      const d = generateDemande(8, 250);
      expect(await threaded.doublons(d.demandeur.nom, d.demandeur.prenom, d.demandeur.dateNaissance)).toEqual(
        await inThread.doublons(d.demandeur.nom, d.demandeur.prenom, d.demandeur.dateNaissance),
      );
      expect(threaded.stats().seeded.indexed).toBe(true);
    } finally {
      inThread.close();
      threaded.close();
    }
  });

  it('finds possible duplicates by folded name and birth date', async () => {
    const store = new SneStore({ seed: 9, count: 50, clock });
    try {
      const d = generateDemande(9, 7);
      const found = await store.doublons(d.demandeur.nom.toUpperCase(), d.demandeur.prenom, d.demandeur.dateNaissance);
      expect(found).toContainEqual({ numUnique: d.numUnique, criteres: ['NOM', 'PRENOM', 'DATE_NAISSANCE'] });
      expect(await store.doublons(d.demandeur.nom, 'Autre', d.demandeur.dateNaissance, undefined)).toContainEqual({ numUnique: d.numUnique, criteres: ['NOM', 'DATE_NAISSANCE'] });
      expect(await store.doublons(d.demandeur.nom, d.demandeur.prenom, d.demandeur.dateNaissance, d.numUnique)).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('counts a day in Paris time', () => {
    expect(new Date(dayStart('2025-07-01')).toISOString()).toBe('2025-06-30T22:00:00.000Z');
    expect(new Date(dayStart('2025-01-15')).toISOString()).toBe('2025-01-14T23:00:00.000Z');
  });

  describe('with a persistence file', () => {
    let dir: { dir: string; remove: () => void };
    beforeEach(() => {
      dir = tempDir('sne-store');
    });
    afterEach(() => dir.remove());

    it('replays every change, write, duplicate key and counter after a restart', () => {
      const file = path.join(dir.dir, 'state', 'sne.jsonl');
      const first = new SneStore({ seed: 4, count: 20, persistPath: file, clock, indexAtStart: false });
      const d = generateDemande(4, 3);
      const changed = { ...d, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
      first.put({ numUnique: d.numUnique!, demande: changed, origin: 'seed' }, write(d.numUnique!, 'MOD', ChangeKind.modify), 'key-1');
      const nu = first.nextNumUnique('2025-03-01', 'G0123');
      first.put({ numUnique: nu, demande: { ...generateDemande(4, 99, { mode: 'creation' }), numUnique: nu }, origin: 'created' }, write(nu, 'CRE', ChangeKind.create, 2), 'key-2');
      first.recordDuplicate('MOD');
      const before = first.stats();
      first.close();

      const second = new SneStore({ seed: 4, count: 20, persistPath: file, clock, indexAtStart: false });
      try {
        expect(second.get(d.numUnique!)?.demande).toEqual(changed);
        expect(second.get(nu)?.origin).toBe('created');
        expect(second.duplicateOf('key-1')).toBe(d.numUnique);
        expect(second.duplicateOf('key-2')).toBe(nu);
        expect(second.writes().map((w) => [w.seq, w.typeFichier])).toEqual([
          [1, 'MOD'],
          [2, 'CRE'],
        ]);
        expect(second.stats()).toMatchObject({ demandes: before.demandes, writes: 2, duplicateWrites: 1, writesByType: before.writesByType });
        expect(second.nextNumUnique('2025-03-01', 'G0123')).not.toBe(nu);
      } finally {
        second.close();
      }
    });

    it('drops a half-written last line (a crash while appending) and refuses other seed options', () => {
      const file = path.join(dir.dir, 'sne.jsonl');
      const first = new SneStore({ seed: 4, count: 20, persistPath: file, clock, indexAtStart: false });
      const d = generateDemande(4, 3);
      first.put({ numUnique: d.numUnique!, demande: d, origin: 'seed' }, write(d.numUnique!, 'MOD', ChangeKind.modify));
      first.close();
      fs.appendFileSync(file, '{"t":"put","record":{"numUn');
      const second = new SneStore({ seed: 4, count: 20, persistPath: file, clock, indexAtStart: false });
      expect(second.stats().writes).toBe(1);
      second.close();
      expect(fs.readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
      expect(() => new SneStore({ seed: 5, count: 20, persistPath: file, clock })).toThrow(/other seed options/);
    });
  });
});
