/**
 * The behaviour every `DemandSystem` (the SNE client, each SPTA connector) must show against its
 * simulator, as one suite each connector runs with its own setup:
 *
 * ```ts
 * runDemandSystemContract('SNE over mutual TLS', async () => ({ system, simulator, unauthenticated, newDemande, teardown }));
 * ```
 * The simulator side is what the common plumbing gives (fault injection, stats) plus a few probes of
 * its state. Writes target the operation matched by `simulator.writePath` (a fault path pattern).
 */
import type { Demande } from '../../src/domain';
import { GatewayError } from '../../src/errors';
import type { DemandSystem } from '../../src/systems/port';
import type { FaultSpec } from '../../src/simulators/common';

/** What the suite needs of the simulator behind the system. */
export interface ContractSimulator {
  faults: { add(spec: FaultSpec): unknown; clear(): void };
  stats(): { writes: number; duplicateWrites: number } | Promise<{ writes: number; duplicateWrites: number }>;
  /** Fault path pattern that matches the write operation only. */
  writePath: string;
  /** The demand as the simulator holds it now, or undefined when it holds none under that number. */
  demande(numUnique: string): Promise<Demande | undefined>;
  /** Records a DALO recognition of a demand now, on the system's side. */
  markDalo(numUnique: string): Promise<void>;
  /** Ground truth of the "since" services: numéros uniques radiated / recognised DALO at or after `since`. */
  radieesDepuis(since: Date): Promise<string[]>;
  nouveauxDaloDepuis(since: Date): Promise<string[]>;
}

export interface ContractSetup {
  /** The system under test; its timeout must be short (a second or two): one test waits for it. */
  system: DemandSystem;
  simulator: ContractSimulator;
  /** The same system reached without a client certificate, and with one the system does not trust. */
  unauthenticated: () => DemandSystem[];
  /** A new demand to create, different at each call, valid for the system. */
  newDemande: () => Demande;
  /** A demand the system refuses with an anomaly, and the code it gives. */
  invalidDemande: () => { demande: Demande; code: string };
  teardown: () => Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the call succeeded');
}

function changed(d: Demande): Demande {
  return { ...d, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
}

/** Registers the contract tests of a `DemandSystem` in a `describe` block named `name`. */
export function runDemandSystemContract(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`DemandSystem contract: ${name}`, () => {
    let s: ContractSetup;

    beforeAll(async () => {
      s = await setup();
    });
    afterAll(async () => {
      await s?.teardown();
    });
    afterEach(() => s.simulator.faults.clear());

    async function created(): Promise<Demande> {
      const r = await s.system.submit({ typeFichier: 'CRE', demande: s.newDemande() });
      expect(r.numUnique).toBeTruthy();
      const d = await s.simulator.demande(r.numUnique);
      if (!d) throw new Error('the created demand is not in the simulator');
      return d;
    }

    it('refuses a client without a certificate, or with an untrusted one, as permanent', async () => {
      const systems = s.unauthenticated();
      expect(systems.length).toBeGreaterThan(0);
      for (const system of systems) {
        try {
          const e = await rejection(system.getDemande('035032500004G0123'));
          expect(e.errorClass).toBe('permanent');
          expect(e.code).toMatch(/AUTH|TLS/);
        } finally {
          await system.close();
        }
      }
    });

    it('parks an anomaly as permanent with its code, and applies nothing', async () => {
      const before = await s.simulator.stats();
      const { demande, code } = s.invalidDemande();
      const e = await rejection(s.system.submit({ typeFichier: 'CRE', demande }));
      expect(e.errorClass).toBe('permanent');
      expect(e.details.codes).toEqual(expect.arrayContaining([code]));
      expect((await s.simulator.stats()).writes).toBe(before.writes);
    });

    it('calls a 503 (maintenance) transient', async () => {
      s.simulator.faults.add({ kind: 'maintenance', count: 1, retryAfterSeconds: 30 });
      const e = await rejection(s.system.getDemande('035032500004G0123'));
      expect(e.errorClass).toBe('transient');
    });

    it('calls a 429 transient and keeps its Retry-After', async () => {
      s.simulator.faults.add({ kind: 'rateLimit', count: 1, retryAfterSeconds: 17 });
      const e = await rejection(s.system.getDemande('035032500004G0123'));
      expect(e.errorClass).toBe('transient');
      expect(e.retryAfterSeconds).toBe(17);
    });

    it('calls a timeout after a write ambiguous, and the write did happen', async () => {
      const d = await created();
      const before = await s.simulator.stats();
      s.simulator.faults.add({ kind: 'timeoutAfterProcessing', path: s.simulator.writePath, count: 1 });
      const e = await rejection(s.system.submit({ typeFichier: 'MOD', demande: changed(d) }));
      expect(e.errorClass).toBe('ambiguous');
      expect((await s.simulator.stats()).writes).toBe(before.writes + 1);
      expect(await s.simulator.demande(d.numUnique as string)).toEqual(changed(d));
    });

    it('recognises a resubmitted write as a duplicate: answered, no second effect', async () => {
      const d = await created();
      await s.system.submit({ typeFichier: 'MOD', demande: changed(d) });
      const before = await s.simulator.stats();
      const again = await s.system.submit({ typeFichier: 'MOD', demande: changed(d) });
      expect(again.numUnique).toBe(d.numUnique);
      const after = await s.simulator.stats();
      expect(after.writes).toBe(before.writes);
      expect(after.duplicateWrites).toBe(before.duplicateWrites + 1);
      expect(await s.simulator.demande(d.numUnique as string)).toEqual(changed(d));
    });

    it('recognises a creation sent again after an ambiguous timeout, and gives its numéro unique', async () => {
      const demande = s.newDemande();
      s.simulator.faults.add({ kind: 'timeoutAfterProcessing', path: s.simulator.writePath, count: 1 });
      expect((await rejection(s.system.submit({ typeFichier: 'CRE', demande }))).errorClass).toBe('ambiguous');
      const before = await s.simulator.stats();
      const r = await s.system.submit({ typeFichier: 'CRE', demande });
      const after = await s.simulator.stats();
      expect(after.writes).toBe(before.writes);
      expect(after.duplicateWrites).toBe(before.duplicateWrites + 1);
      expect(await s.simulator.demande(r.numUnique)).toEqual({ ...demande, numUnique: r.numUnique });
    });

    it('returns every demand radiated or recognised DALO since a date', async () => {
      const since = new Date(Date.now() - 1000);
      const [a, b] = [await created(), await created()];
      const radiation = { motif: 'RADABA', date: a.dateCreationDemande };
      await s.system.submit({ typeFichier: 'RAD', demande: { ...a, radiation } });
      await s.simulator.markDalo(b.numUnique as string);

      const numbers = (r: Awaited<ReturnType<DemandSystem['radieesDepuis']>>) =>
        r.demandes.map((x) => (x.ok ? x.demande.numUnique : x.numUnique)).sort();
      const radiees = await s.system.radieesDepuis(since);
      expect(numbers(radiees)).toEqual((await s.simulator.radieesDepuis(since)).sort());
      expect(numbers(radiees)).toContain(a.numUnique);
      expect(radiees.requestedAt.getTime()).toBeGreaterThanOrEqual(since.getTime());
      const dalo = await s.system.nouveauxDaloDepuis(since);
      expect(numbers(dalo)).toEqual((await s.simulator.nouveauxDaloDepuis(since)).sort());
      expect(numbers(dalo)).toContain(b.numUnique);

      // From long ago: the whole history, however many there are.
      const long = new Date('2000-01-01T00:00:00Z');
      expect(numbers(await s.system.radieesDepuis(long))).toEqual((await s.simulator.radieesDepuis(long)).sort());
      expect(numbers(await s.system.nouveauxDaloDepuis(long))).toEqual((await s.simulator.nouveauxDaloDepuis(long)).sort());
    });

    it('reads a demand back as the simulator holds it, and null for an unknown number', async () => {
      const d = await created();
      expect(await s.system.getDemande(d.numUnique as string)).toMatchObject({ ok: true, demande: d });
      expect(await s.system.getDemande('035012599999G0123')).toBeNull();
    });
  });
}
