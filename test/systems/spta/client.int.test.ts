/**
 * The SPTA connector over its web service, against SPTA simulators on loopback: it speaks the profile's
 * service (path, namespace) and dialect, the dialect SPTA refuses the SNE's format, errors name the SPTA,
 * and several SPTAs configured at once each get their own client talking to their own system.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterfaceNuuCodec, loadElementTable } from '../../../src/codec';
import { loadConfig, type SptaConfig } from '../../../src/config';
import { GatewayError } from '../../../src/errors';
import { createLogger } from '../../../src/logging';
import { generateDemande } from '../../../src/synthetic';
import { startSptaSimulator, type RunningSptaSimulator } from '../../../src/simulators/spta';
import { createSystems } from '../../../src/systems';
import { createSneClient, defaultAnomalyTablePath } from '../../../src/systems/sne';
import { loadAnomalyTable, SNE_ENDPOINT_PATH, SNE_SERVICE_NS } from '../../../src/systems/sne/wire';
import { createSptaClient, DEFAULT_SPTA_PROFILES_DIR, loadSptaProfile, type SptaClient, type SptaProfile } from '../../../src/systems/spta';
import { tempDir } from '../../simulators/support/http';
import { testDirs, testEnv, writeTestConfig } from '../../support/gateway';

const elements = loadElementTable();
const anomalyTable = loadAnomalyTable(defaultAnomalyTablePath);
const dialect = loadSptaProfile('ille-et-vilaine');

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the call succeeded');
}

function entry(id: string, profile: string, url: string): SptaConfig {
  return { id, profile, transport: 'webservice', url, timeoutMs: 5000, rateLimit: { max: 5, durationMs: 1000 } };
}

function clientOf(sim: RunningSptaSimulator, profile: SptaProfile = dialect, id = '35'): SptaClient {
  return createSptaClient({ config: entry(id, profile.name, sim.url), profile, guichet: 'G0123', interfaceVersion: '02.01' });
}

let n = 0;
const newDemande = () => generateDemande('spta-client', n++, { mode: 'creation' });

describe('the SPTA connector over its web service', () => {
  let sim: RunningSptaSimulator;
  let client: SptaClient;
  let dispatch: { dir: string; remove: () => void };

  beforeAll(async () => {
    dispatch = tempDir('spta-dispatch');
    sim = await startSptaSimulator({ profile: dialect, seed: 'spta-client', count: 30, dispatchDir: dispatch.dir });
    client = clientOf(sim);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
    dispatch.remove();
  });

  it("is the system spta:<id>, posting to the profile's service", async () => {
    expect(client.id).toBe('spta:35');
    expect(client.endpoint).toBe(`${sim.url}${dialect.transport.webservice.endpointPath}`);
    const r = await client.submit({ typeFichier: 'CRE', demande: newDemande() });
    expect(sim.store.get(r.numUnique)?.demande.numUnique).toBe(r.numUnique);
    expect(sim.stats().requests).toMatchObject({ getNumUnique: expect.any(Number) });
  });

  it('writes and reads the dialect: the demand comes back as it was sent, codes and all', async () => {
    const demande = newDemande();
    const r = await client.submit({ typeFichier: 'CRE', demande });
    expect(r.demande).toEqual({ ...demande, numUnique: r.numUnique });
    expect(await client.getDemande(r.numUnique)).toMatchObject({ ok: true, demande: { ...demande, numUnique: r.numUnique } });
  });

  it('stamps its errors with its own id, keeping the codes of the SNE protocol', async () => {
    const d = newDemande();
    const e = await rejection(client.submit({ typeFichier: 'CRE', demande: { ...d, logementRecherche: { ...d.logementRecherche, typesLogement: ['T9'] } } }));
    expect(e).toMatchObject({ code: 'SNE_ANOMALY', system: 'spta:35', errorClass: 'permanent', details: { codes: ['CTRL_DEM_0031'] } });
    sim.faults.add({ kind: 'maintenance', count: 1, retryAfterSeconds: 5 });
    expect(await rejection(client.getDemande('035032500004G0123'))).toMatchObject({ system: 'spta:35', errorClass: 'transient' });
  });

  it('is refused by the SPTA when it speaks the SNE service: another path, another namespace', async () => {
    const codec = createInterfaceNuuCodec({ elements });
    const base = { url: sim.url, guichet: 'G0123', timeoutMs: 5000, interfaceVersion: '02.01', codec, anomalyTable };
    const snePath = createSneClient(base);
    const sneNamespace = createSneClient({ ...base, transportOptions: { endpointPath: dialect.transport.webservice.endpointPath, serviceNamespace: SNE_SERVICE_NS } });
    try {
      expect(snePath.transport.endpoint).toBe(`${sim.url}${SNE_ENDPOINT_PATH}`);
      expect(await rejection(snePath.getDemande('035032500004G0123'))).toMatchObject({ code: 'SNE_HTTP_4XX', errorClass: 'permanent' });
      expect(await rejection(sneNamespace.getDemande('035032500004G0123'))).toMatchObject({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent' });
    } finally {
      await snePath.close();
      await sneNamespace.close();
    }
  });

  it('is refused by the dialect SPTA when the file uses SNE element names, or SNE codes the dialect spells otherwise', async () => {
    const wire = { endpointPath: dialect.transport.webservice.endpointPath, serviceNamespace: dialect.transport.webservice.serviceNamespace };
    const base = { url: sim.url, guichet: 'G0123', timeoutMs: 5000, interfaceVersion: '02.01', anomalyTable, transportOptions: wire };
    const sneFormat = createSneClient({ ...base, codec: createInterfaceNuuCodec({ elements }) });
    const sneCodes = createSneClient({ ...base, codec: createInterfaceNuuCodec({ elements, renames: { ...dialect.renames } }) });
    const before = sim.stats().writes;
    try {
      const names = await rejection(sneFormat.submit({ typeFichier: 'CRE', demande: newDemande() }));
      expect(names).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent' });
      expect(names.details.codes).toContain('CTRL_DEM_0034');
      const demande = { ...newDemande() };
      demande.demandeur = { ...demande.demandeur, situationFamiliale: 'C' };
      const codes = await rejection(sneCodes.submit({ typeFichier: 'CRE', demande }));
      expect(codes.details.codes).toEqual(['CTRL_DEM_0031']);
      expect(sim.stats().writes).toBe(before);
      // The same demand in the dialect is accepted.
      expect((await client.submit({ typeFichier: 'CRE', demande })).numUnique).toBeTruthy();
    } finally {
      await sneFormat.close();
      await sneCodes.close();
    }
  });

  it('writes dispatch files in the dialect, which its codec reads back', async () => {
    const seeded = [...sim.store.iterate()].slice(0, 2).map((r) => r.numUnique);
    const some = [...seeded, (await client.submit({ typeFichier: 'CRE', demande: newDemande() })).numUnique];
    const written = await sim.writeDispatchFile({ dir: dispatch.dir, numUniques: some });
    expect(written).toMatchObject({ demandes: 3, missing: [] });
    const xml = readFileSync(join(dispatch.dir, written.files[0]!.name), 'utf8');
    expect(xml).toContain('<demandeurPrincipal>');
    expect(xml).not.toContain('<demandeur>');
    expect(client.codec.parse(xml).demandes.map((d) => d.ok && d.demande)).toEqual(some.map((nu) => sim.store.get(nu)?.demande));
  });
});

describe('an SPTA profile that renames an event block', () => {
  let sim: RunningSptaSimulator;
  let client: SptaClient;
  let dirs: { dir: string; remove: () => void };

  beforeAll(async () => {
    dirs = tempDir('spta-block-profile');
    mkdirSync(join(dirs.dir, 'spta'));
    mkdirSync(join(dirs.dir, 'sne'));
    copyFileSync(join(DEFAULT_SPTA_PROFILES_DIR, '..', 'sne', 'events.yaml'), join(dirs.dir, 'sne', 'events.yaml'));
    writeFileSync(join(dirs.dir, 'spta', 'blocs.yaml'), 'version: 1\nname: blocs\nstatus: illustrative\nrenames: { decisionCal: decisionCommission, dateCommission: dateSeance, radiation: sortie, motifRadiation: motifSortie }\n');
    const profile = loadSptaProfile('blocs', join(dirs.dir, 'spta'));
    sim = await startSptaSimulator({ profile, seed: 'spta-blocks', count: 5 });
    client = clientOf(sim, profile, '22');
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
    dirs.remove();
  });

  it('sends the blocks under their dialect names, and the SPTA refuses them under the SNE names', async () => {
    const created = await client.submit({ typeFichier: 'CRE', demande: newDemande() });
    const demande = { ...created.demande!, logementRecherche: { ...created.demande!.logementRecherche, demandeElargie: !created.demande!.logementRecherche.demandeElargie } };
    const block = { name: 'decisionCal', children: [{ name: 'dateCommission', text: '2025-03-01' }, { name: 'typeDecision', attributes: { code: 'ATT' } }] };
    await client.submit({ typeFichier: 'MOD', demande, blocks: [block] });
    expect(sim.store.writes(created.numUnique).map((w) => w.blocks)).toEqual([[], ['decisionCommission']]);

    const raw = createSneClient({
      url: sim.url,
      guichet: 'G0123',
      timeoutMs: 5000,
      interfaceVersion: '02.01',
      codec: client.codec,
      anomalyTable,
      transportOptions: { endpointPath: sim.profile.transport.webservice.endpointPath },
    });
    try {
      const e = await rejection(raw.submit({ typeFichier: 'MOD', demande: { ...demande, logementRecherche: created.demande!.logementRecherche }, blocks: [block] }));
      expect(e.details.codes).toEqual(['CTRL_DEM_0034']);
    } finally {
      await raw.close();
    }
  });

  it('radiates and reactivates a demand through a renamed radiation block', async () => {
    const created = await client.submit({ typeFichier: 'CRE', demande: newDemande() });
    const d = created.demande!;
    const radiation = { motif: 'RADABA', date: d.dateCreationDemande };
    await client.submit({ typeFichier: 'RAD', demande: { ...d, radiation } });
    expect(sim.store.get(created.numUnique)?.demande.radiation).toEqual(radiation);
    const reactivation = { name: 'radiation', children: [{ name: 'motifRadiation', attributes: { code: '' } }, { name: 'dateRadiation', text: d.dateCreationDemande }] };
    await client.submit({ typeFichier: 'RAD', demande: d, blocks: [reactivation] });
    expect(sim.store.get(created.numUnique)?.demande.radiation).toBeUndefined();
    expect(sim.store.writes(created.numUnique).map((w) => w.kind)).toEqual(['create', 'radiate', 'reactivate']);
  });
});

describe('several SPTAs configured at once', () => {
  it('get one client each, with its own id, each talking to its own SPTA', async () => {
    const dirs = testDirs('spta-systems');
    const ille = await startSptaSimulator({ profile: 'ille-et-vilaine', seed: 'spta-35', count: 10, territory: 'rennes-metropole' });
    const other = await startSptaSimulator({ profile: 'sne-compatible', seed: 'spta-29', count: 10 });
    const path = writeTestConfig({
      dirs,
      localUrl: 'http://127.0.0.1:1',
      extra: {
        spta: [
          { id: '35', profile: 'ille-et-vilaine', url: ille.url, timeoutMs: 5000 },
          { id: '29', profile: 'sne-compatible', url: other.url, timeoutMs: 5000 },
          { id: '56-fichiers', profile: 'sne-compatible', transport: 'files', dropDir: join(dirs.root, 'spta-56') },
        ],
      },
    });
    const config = loadConfig({ path, env: testEnv, cwd: dirs.root });
    const systems = createSystems({ config, codec: createInterfaceNuuCodec({ elements }), logger: createLogger({ level: 'error', format: 'json' }) });
    try {
      expect([...systems.keys()]).toEqual(['sne', 'spta:35', 'spta:29', 'spta:56-fichiers']);
      const s35 = systems.get('spta:35') as SptaClient;
      const s29 = systems.get('spta:29') as SptaClient;
      expect([s35.profile.name, s29.profile.name]).toEqual(['ille-et-vilaine', 'sne-compatible']);
      expect((systems.get('spta:56-fichiers') as SptaClient).reads).toBe(false);

      const [da, db] = [newDemande(), newDemande()];
      const a = await s35.submit({ typeFichier: 'CRE', demande: da });
      const b = await s29.submit({ typeFichier: 'CRE', demande: db });
      expect(ille.store.get(a.numUnique)?.demande).toEqual({ ...da, numUnique: a.numUnique });
      expect(other.store.get(b.numUnique)?.demande).toEqual({ ...db, numUnique: b.numUnique });
      // Each SPTA numbers its own demands: neither holds the other's.
      expect(other.store.get(a.numUnique)?.demande).not.toEqual({ ...da, numUnique: a.numUnique });
      expect(ille.store.get(b.numUnique)?.demande).not.toEqual({ ...db, numUnique: b.numUnique });
      expect(ille.stats().writes).toBe(1);
      expect(other.stats().writes).toBe(1);
      expect(await s29.getDemande(b.numUnique)).toMatchObject({ ok: true });
    } finally {
      for (const s of systems.values()) await s.close();
      await ille.close();
      await other.close();
      dirs.cleanup();
    }
  });
});
