/**
 * The SNE simulator on loopback, spoken to with the real client (and, for what a client never sends,
 * with hand-altered requests): it refuses what the service refuses, applies writes once, keeps a log,
 * writes dispatch files, and survives a restart with its persistence file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { createInterfaceNuuCodec, loadElementTable, type DemandeResult } from '../../../src/codec';
import type { Demande } from '../../../src/domain';
import { GatewayError } from '../../../src/errors';
import { generateDemande, personalValuesOf, territories } from '../../../src/synthetic';
import { startSneSimulator, type RunningSneSimulator } from '../../../src/simulators/sne';
import { createSneClient, defaultAnomalyTablePath, type SneClient } from '../../../src/systems/sne';
import { buildSneRequest, loadAnomalyTable, parseSneResponse, type SneRequestInput } from '../../../src/systems/sne/wire';
import { tempDir } from '../support/http';

const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
const anomalyTable = loadAnomalyTable(defaultAnomalyTablePath);
const SEED = 'sne-sim';
const WRITE_PATH = '/services/DemandeLogementImplService/getNumUnique';

function clientOf(sim: RunningSneSimulator, extra: Partial<Parameters<typeof createSneClient>[0]> = {}): SneClient {
  return createSneClient({ url: sim.url, guichet: 'G0123', timeoutMs: 5000, interfaceVersion: '02.01', codec, anomalyTable, ...extra });
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

/** POSTs bytes as they are (so a test can alter a request) and reads the answer. */
function post(url: string, contentType: string, body: Buffer): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/services/DemandeLogementImplService/', url),
      { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': String(body.length) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function admin(sim: RunningSneSimulator, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.url}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const ok = (r: DemandeResult | null): Demande => {
  if (!r?.ok) throw new Error('expected a readable demand');
  return r.demande;
};

describe('the SNE simulator', () => {
  let sim: RunningSneSimulator;
  let client: SneClient;
  let dispatch: { dir: string; remove: () => void };

  beforeAll(async () => {
    dispatch = tempDir('sne-dispatch');
    const desks = territories['rennes-metropole'].desks.map((d) => d.code);
    sim = await startSneSimulator({ seed: SEED, count: 60, guichets: ['G0123', ...desks], dispatchDir: dispatch.dir });
    client = clientOf(sim);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
    dispatch.remove();
  });
  afterEach(() => sim.faults.clear());

  describe('refuses a request the service would refuse, with a SOAP fault', () => {
    const input: SneRequestInput = { operation: 'getDemandeLogement', numUnique: '035032500004G0123', nomCertificat: 'CERG0123-202501010000.pem', certificat: 'x' };

    async function fault(alter: (text: string) => string, contentType?: (ct: string) => string): Promise<string> {
      const built = buildSneRequest(input);
      const answer = await post(sim.url, contentType ? contentType(built.contentType) : built.contentType, Buffer.from(alter(built.body.toString('utf8')), 'utf8'));
      expect(answer.status).toBe(400);
      const parsed = parseSneResponse(answer.contentType, answer.body, { operation: 'getDemandeLogement' });
      if (parsed.kind !== 'fault') throw new Error('expected a fault');
      expect(parsed.fault.code).toBe('Sender');
      return parsed.fault.reason;
    }

    it('in the wrong namespace', async () => {
      expect(await fault((t) => t.replace('xmlns:ws="http://ws.metier.nuu.application.i2/"', 'xmlns:ws="http://example.org/other/"'))).toMatch(/namespace/);
    });

    it('with its children out of order', async () => {
      expect(await fault((t) => t.replace(/(<numUnique>.*<\/numUnique>)(\r\n\s*)(<nomCertificat>.*<\/nomCertificat>)/, '$3$2$1'))).toMatch(/order/);
    });

    it('with an xop:Include not glued to its element', async () => {
      expect(await fault((t) => t.replace('"><xop:Include', '">\r\n        <xop:Include'))).toMatch(/xop:Include/);
    });

    it('as malformed MTOM (no closing boundary)', async () => {
      expect(await fault((t) => t.slice(0, t.lastIndexOf('--MIMEBoundary')))).toMatch(/truncated|boundary/);
    });

    it('as SOAP 1.1', async () => {
      expect(await fault((t) => t.replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'))).toMatch(/SOAP 1\.2/);
    });

    it('with a file that is not XML: the generic "unexpected error" of the service', async () => {
      const built = buildSneRequest({ operation: 'getNumUnique', nomFichierDemande: 'DEMG0123-202501010000-000001.xml', fichierDemande: '<interfaceNuu><demande>', nomCertificat: 'CERG0123-202501010000.pem', certificat: 'x' });
      const answer = await post(sim.url, built.contentType, built.body);
      const parsed = parseSneResponse(answer.contentType, answer.body, { operation: 'getNumUnique' });
      expect(parsed).toMatchObject({ kind: 'fault', fault: { reason: 'Une erreur inattendue est survenue lors du traitement de la demande' } });
    });
  });

  describe('refuses a demand the service would refuse, with CTRL_DEM anomalies', () => {
    const codesOf = async (p: Promise<unknown>): Promise<string[]> => {
      const e = await rejection(p);
      expect(e).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent' });
      return e.details.codes as string[];
    };
    const fresh = (i: number): Demande => generateDemande('sne-sim-new', i, { mode: 'creation' });

    it('a missing mandatory field, an unknown code, a bad commune', async () => {
      const d = fresh(1);
      expect(await codesOf(client.submit({ typeFichier: 'CRE', demande: { ...d, logementRecherche: { ...d.logementRecherche, communes: [] } } }))).toEqual(['CTRL_DEM_0030']);
      expect(await codesOf(client.submit({ typeFichier: 'CRE', demande: { ...d, logementRecherche: { ...d.logementRecherche, typesLogement: ['T9'] } } }))).toEqual(['CTRL_DEM_0031']);
      expect(await codesOf(client.submit({ typeFichier: 'CRE', demande: { ...d, logementRecherche: { ...d.logementRecherche, communes: ['3523'] } } }))).toEqual(['CTRL_DEM_0040']);
      expect(sim.stats()).toMatchObject({ anomalies: expect.objectContaining({ CTRL_DEM_0030: expect.any(Number), CTRL_DEM_0031: expect.any(Number) }) });
    });

    it('a radiation RADIRR without its sub-motif, and a radiation outside a RAD file', async () => {
      const d = generateDemande(SEED, 2);
      const active = d.radiation ? generateDemande(SEED, 3) : d;
      expect(active.radiation).toBeUndefined();
      expect(await codesOf(client.submit({ typeFichier: 'RAD', demande: { ...active, radiation: { motif: 'RADIRR', date: '2025-03-14' } } }))).toEqual(['CTRL_DEM_0032']);
      expect(await codesOf(client.submit({ typeFichier: 'MOD', demande: { ...active, radiation: { motif: 'RADABA', date: '2025-03-14' } } }))).toEqual(['CTRL_DEM_0023']);
    });

    it('a change of an unknown numéro unique, a creation that carries one, a desk not authorised', async () => {
      const d = fresh(2);
      expect(await codesOf(client.submit({ typeFichier: 'MOD', demande: { ...d, numUnique: '035032599999G0123' } }))).toEqual(['CTRL_DEM_0020']);
      expect(await codesOf(client.submit({ typeFichier: 'CRE', demande: { ...d, numUnique: '035032599999G0123' } }))).toEqual(['CTRL_DEM_0005']);
      expect(await codesOf(client.submit({ typeFichier: 'CRE', demande: { ...d, numGuichet: 'G9999' } }))).toEqual(['CTRL_DEM_0010']);
    });

    it('a file type that is not a write', async () => {
      expect(await codesOf(client.submit({ typeFichier: 'DIS', demande: generateDemande(SEED, 4) }))).toEqual(['CTRL_DEM_0002']);
    });

    it('a certificate name that does not name an authorised desk, on the "since" services', async () => {
      const badName = clientOf(sim, { certificateName: 'CERG9999-202501010000.pem' });
      try {
        expect(await codesOf(badName.radieesDepuis(new Date('2025-01-01T00:00:00Z')))).toEqual(['CTRL_DEM_0003']);
        expect(await codesOf(badName.nouveauxDaloDepuis(new Date('2025-01-01T00:00:00Z')))).toEqual(['CTRL_DEM_0003']);
      } finally {
        await badName.close();
      }
      // A name the client would never build: the request is altered on the way.
      const built = buildSneRequest({ operation: 'getDemandesRadieesDepuisLe', dateRadiationDepuisLe: '2025-01-01T00:00:00.0+01:00', nomCertificat: 'CERG0123-202501010000.pem', certificat: 'x' });
      const answer = await post(sim.url, built.contentType, Buffer.from(built.body.toString('utf8').replace('CERG0123-202501010000.pem', 'certificate.pem'), 'utf8'));
      const parsed = parseSneResponse(answer.contentType, answer.body, { operation: 'getDemandesRadieesDepuisLe' });
      expect(parsed.kind === 'interfaceNuu' && parsed.anomalies.map((a) => a.code)).toEqual(['CTRL_DEM_0003']);
    });

    it('never quotes a value of the demand in its messages', async () => {
      const d = fresh(3);
      const bad = { ...d, demandeur: { ...d.demandeur, dateNaissance: '1980-02-30' } };
      const built = buildSneRequest({
        operation: 'getNumUnique',
        nomFichierDemande: 'DEMG0123-202501010000-000002.xml',
        fichierDemande: codec.build({ versionInterface: '02.01', entete: { typeFichier: 'CRE', dateFichier: '2025-03-14T10:00:00.0+01:00' }, demandes: [bad] }),
        nomCertificat: 'CERG0123-202501010000.pem',
        certificat: 'x',
      });
      const answer = await post(sim.url, built.contentType, built.body);
      const text = answer.body.toString('utf8');
      expect(text).toContain('CTRL_DEM_0034');
      expect(text).toContain('demandeur.dateNaissance');
      for (const v of [...personalValuesOf(d), '1980-02-30']) expect(text).not.toContain(v);
    });
  });

  it('creates, modifies, radiates, reactivates and deletes a demand, logging each write in order', async () => {
    const d = generateDemande('sne-sim-life', 1, { mode: 'creation' });
    const created = await client.submit({ typeFichier: 'CRE', demande: d });
    const nu = created.numUnique;
    expect(nu).toMatch(/^035\d{2}\d{2}\d{6}G[A-Z0-9]{4}$/);
    expect(created.demande).toEqual({ ...d, numUnique: nu });

    const modified = { ...created.demande!, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
    await client.submit({ typeFichier: 'MOD', demande: modified, blocks: [{ name: 'decisionCal', children: [{ name: 'typeDecision', attributes: { code: 'A' } }] }] });
    const renewed = { ...modified, dateDernierRenouvellement: '2026-03-01' };
    await client.submit({ typeFichier: 'REN', demande: renewed });
    const radiated = await client.submit({ typeFichier: 'RAD', demande: { ...renewed, radiation: { motif: 'RADIRR', sousMotif: 'IRRRES', date: '2026-03-02' } } });
    expect(radiated.demande?.radiation).toEqual({ motif: 'RADIRR', sousMotif: 'IRRRES', date: '2026-03-02' });
    expect(await rejection(client.submit({ typeFichier: 'MOD', demande: { ...renewed, logementRecherche: { ...renewed.logementRecherche, demandeElargie: true } } }))).toMatchObject({
      details: { codes: ['CTRL_DEM_0021'] },
    });

    // Reactivation: a RAD whose radiation motif is empty (the canonical model cannot hold it: an extra block).
    const reactivation = [{ name: 'radiation', children: [{ name: 'motifRadiation', attributes: { code: '' } }, { name: 'dateRadiation', text: '2026-03-10' }] }];
    const reactivated = await client.submit({ typeFichier: 'RAD', demande: renewed, blocks: reactivation });
    expect(reactivated.demande).toEqual(renewed);
    expect(await rejection(client.submit({ typeFichier: 'RAD', demande: { ...renewed, dateDernierRenouvellement: '2026-03-05' }, blocks: reactivation }))).toMatchObject({
      details: { codes: ['CTRL_DEM_0022'] },
    });
    expect((await admin(sim, 'GET', `/_sim/demandes/${nu}`)).json).toEqual(renewed);

    await client.submit({ typeFichier: 'SUP', demande: renewed });
    expect(await client.getDemande(nu)).toBeNull();
    expect((await admin(sim, 'GET', `/_sim/demandes/${nu}`)).status).toBe(404);
    expect(await rejection(client.submit({ typeFichier: 'MOD', demande: renewed }))).toMatchObject({ details: { codes: ['CTRL_DEM_0020'] } });

    const log = (await admin(sim, 'GET', `/_sim/writes?numUnique=${nu}`)).json as Array<{ seq: number; typeFichier: string; kind: string; blocks: string[] }>;
    expect(log.map((w) => [w.typeFichier, w.kind])).toEqual([
      ['CRE', 'create'],
      ['MOD', 'modify'],
      ['REN', 'renew'],
      ['RAD', 'radiate'],
      ['RAD', 'reactivate'],
      ['SUP', 'remove'],
    ]);
    expect(log[1]!.blocks).toEqual(['decisionCal']);
    expect(log.map((w) => w.seq)).toEqual([...log.map((w) => w.seq)].sort((a, b) => a - b));
  });

  it('answers a resubmitted write as the first time, without a second effect, and counts it', async () => {
    const d = generateDemande('sne-sim-dup', 1, { mode: 'creation' });
    const before = sim.stats();
    const first = await client.submit({ typeFichier: 'CRE', demande: d });
    const second = await client.submit({ typeFichier: 'CRE', demande: d });
    expect(second.numUnique).toBe(first.numUnique);
    const changed = { ...first.demande!, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
    await client.submit({ typeFichier: 'MOD', demande: changed });
    await client.submit({ typeFichier: 'MOD', demande: changed });
    const after = sim.stats();
    expect(after.writes - before.writes).toBe(2);
    expect(after.duplicateWrites - before.duplicateWrites).toBe(2);
    expect(after.demandes - before.demandes).toBe(1);
    expect((await admin(sim, 'GET', `/_sim/writes?numUnique=${first.numUnique}`)).json).toHaveLength(2);
  });

  it('applies a write and never answers under the "timeout after processing" fault', async () => {
    const quick = clientOf(sim, { timeoutMs: 400 });
    try {
      sim.faults.add({ kind: 'timeoutAfterProcessing', path: WRITE_PATH, count: 1 });
      const d = generateDemande(SEED, 5);
      const target = d.radiation ? generateDemande(SEED, 6) : d;
      const changed = { ...target, logementRecherche: { ...target.logementRecherche, demandeElargie: !target.logementRecherche.demandeElargie } };
      const e = await rejection(quick.submit({ typeFichier: 'MOD', demande: changed }));
      expect(e).toMatchObject({ errorClass: 'ambiguous', code: 'SNE_TIMEOUT_AFTER_SEND' });
      expect((await admin(sim, 'GET', `/_sim/demandes/${target.numUnique}`)).json).toEqual(changed);
      // Reads are not touched by a fault aimed at writes.
      expect(ok(await quick.getDemande(target.numUnique!))).toEqual(changed);
    } finally {
      await quick.close();
    }
  });

  it('takes faults at run time through POST /_sim/faults', async () => {
    expect((await admin(sim, 'POST', '/_sim/faults', { kind: 'rateLimit', retryAfterSeconds: 9, count: 1 })).status).toBe(201);
    expect(await rejection(client.getDemande(generateDemande(SEED, 7).numUnique!))).toMatchObject({ errorClass: 'transient', code: 'SNE_RATE_LIMITED', retryAfterSeconds: 9 });
    expect(ok(await client.getDemande(generateDemande(SEED, 7).numUnique!))).toEqual(generateDemande(SEED, 7));
  });

  it('lists the demands radiated or recognised DALO since a date, including admin changes', async () => {
    const since = new Date();
    const active = Array.from({ length: 60 }, (_, i) => generateDemande(SEED, i)).filter((d) => !d.radiation && !d.dalo?.dateDecision);
    const [a, b] = [active[10]!, active[11]!];
    expect((await admin(sim, 'POST', `/_sim/dalo/${a.numUnique}`)).status).toBe(200);
    const patched = await admin(sim, 'PATCH', `/_sim/demandes/${b.numUnique}`, [{ op: 'add', path: '/radiation', value: { motif: 'RADCON', date: '2025-03-20' } }]);
    expect(patched.status).toBe(200);
    expect((await client.nouveauxDaloDepuis(since)).demandes.map((r) => ok(r).numUnique)).toEqual([a.numUnique]);
    expect((await client.radieesDepuis(since)).demandes.map((r) => ok(r).numUnique)).toEqual([b.numUnique]);
    const all = await client.radieesDepuis(new Date('2000-01-01T00:00:00Z'));
    const expected = [...sim.store.iterate()].filter((r) => r.radiatedAt).map((r) => r.numUnique);
    expect(all.demandes.map((r) => ok(r).numUnique).sort()).toEqual(expected.sort());
    expect((await admin(sim, 'PATCH', `/_sim/demandes/${b.numUnique}`, [{ op: 'replace', path: '/logementRecherche/typesLogement', value: ['T9'] }])).status).toBe(422);
  });

  it('searches possible duplicates of an applicant', async () => {
    const d = generateDemande(SEED, 12);
    const lookalike = { ...generateDemande('sne-sim-new', 40, { mode: 'creation' }), demandeur: { ...generateDemande('sne-sim-new', 40, { mode: 'creation' }).demandeur, nom: d.demandeur.nom.toUpperCase(), dateNaissance: d.demandeur.dateNaissance } };
    expect(await client.doublons(lookalike)).toContainEqual({ numUnique: d.numUnique, criteres: expect.arrayContaining(['NOM', 'DATE_NAISSANCE']) });
    expect(await client.doublons(d)).not.toContainEqual(expect.objectContaining({ numUnique: d.numUnique }));
  });

  describe('dispatch files', () => {
    it('writes the whole stock in files named by the SNE convention, atomically, readable demand by demand', async () => {
      const out = tempDir('sne-dis');
      try {
        const result = await sim.writeDispatchFile({ dir: out.dir, all: true, perFile: 25 });
        const names = fs.readdirSync(out.dir).sort();
        expect(names).toEqual(result.files.map((f) => f.name));
        expect(names.every((n) => /^DEMG0000-\d{12}-\d{6}\.xml$/.test(n))).toBe(true);
        const stock = [...sim.store.iterate()].map((r) => r.demande);
        expect(result.demandes).toBe(stock.length);
        expect(result.files.map((f) => f.demandes)).toEqual([25, 25, stock.length - 50]);
        const read: Demande[] = [];
        for (const name of names) {
          const stream = codec.stream(fs.createReadStream(path.join(out.dir, name)));
          for await (const item of stream) read.push(ok(codec.parseFragment(item.xml, item)));
          expect(stream.problems).toEqual([]);
        }
        expect(read).toEqual(stock);
      } finally {
        out.remove();
      }
    });

    it('writes asked demands in either repetition form and reports the unknown ones', async () => {
      const out = tempDir('sne-dis-form');
      try {
        const nus = [generateDemande(SEED, 20).numUnique!, '035032599999G0123', generateDemande(SEED, 21).numUnique!];
        const result = await sim.writeDispatchFile({ dir: out.dir, numUniques: nus, form: 'demandeLogement' });
        expect(result).toMatchObject({ demandes: 2, missing: ['035032599999G0123'] });
        const parsed = codec.parse(fs.readFileSync(path.join(out.dir, result.files[0]!.name)));
        expect(parsed.form).toBe('demandeLogement');
        expect(parsed.entete.typeFichier).toBe('DIS');
        expect(parsed.demandes.map((r) => ok(r).numUnique)).toEqual([nus[0], nus[2]]);
      } finally {
        out.remove();
      }
    });

    it('writes the stock on POST /_sim/dispatch into its dispatch folder', async () => {
      const before = fs.readdirSync(dispatch.dir).length;
      const answer = await admin(sim, 'POST', '/_sim/dispatch', { all: true, perFile: 1000 });
      expect(answer.status).toBe(200);
      expect(answer.json.files).toHaveLength(1);
      expect(fs.readdirSync(dispatch.dir)).toHaveLength(before + 1);
      expect(fs.readdirSync(dispatch.dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    });
  });
});

describe('the SNE simulator with auto-dispatch and a persistence file', () => {
  it('writes one small dispatch file per change, in order, and keeps its stock across a restart', async () => {
    const work = tempDir('sne-persist');
    const auto = path.join(work.dir, 'dispatch');
    const persistPath = path.join(work.dir, 'sne.jsonl');
    const options = { seed: 'persist', count: 10, autoDispatch: auto, persistPath };
    let sim = await startSneSimulator(options);
    let client = clientOf(sim);
    const d = generateDemande('persist-new', 1, { mode: 'creation' });
    try {
      const created = await client.submit({ typeFichier: 'CRE', demande: d });
      const changed = { ...created.demande!, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } };
      await client.submit({ typeFichier: 'MOD', demande: changed });
      const files = fs.readdirSync(auto).sort();
      expect(files).toHaveLength(2);
      const contents = files.map((f) => codec.parse(fs.readFileSync(path.join(auto, f))).demandes.map(ok));
      expect(contents).toEqual([[created.demande], [changed]]);

      await client.close();
      await sim.close();
      sim = await startSneSimulator(options);
      client = clientOf(sim);
      expect(ok(await client.getDemande(created.numUnique))).toEqual(changed);
      // The same creation sent again after the restart is still recognised.
      expect((await client.submit({ typeFichier: 'CRE', demande: d })).numUnique).toBe(created.numUnique);
      expect(sim.stats()).toMatchObject({ writes: 2, duplicateWrites: 1, demandes: 11 });
      expect(fs.readdirSync(auto)).toHaveLength(2);
    } finally {
      await client.close();
      await sim.close();
      work.remove();
    }
  });
});


describe('the SNE simulator over TLS', () => {
  let tls: { dir: string; remove: () => void };
  const file = (name: string): Buffer => fs.readFileSync(path.join(tls.dir, name));

  beforeAll(() => {
    tls = tempDir('sne-sim-tls');
    execFileSync('bash', [path.join(__dirname, '../../../scripts/gen-test-tls.sh'), tls.dir], { stdio: 'pipe' });
  });
  afterAll(() => tls.remove());

  /** GET /_sim/stats with the given client material: the status, or the socket error code. */
  function probe(url: string, client: https.RequestOptions): Promise<number | string> {
    return new Promise((resolve) => {
      const req = https.request(`${url}/_sim/stats`, { ca: file('ca.crt'), agent: false, ...client });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end();
    });
  }

  it('answers only clients whose certificate is signed by its CA; others get a 403', async () => {
    const sim = await startSneSimulator({ tls: { cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt') } });
    try {
      expect(await probe(sim.url, { cert: file('client.crt'), key: file('client.key') })).toBe(200);
      expect(await probe(sim.url, {})).toBe(403);
      expect(await probe(sim.url, { cert: file('rogue-client.crt'), key: file('rogue-client.key') })).toBe(403);
    } finally {
      await sim.close();
    }
  });

  it('can instead cut the connection during the handshake', async () => {
    const sim = await startSneSimulator({ tls: { cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt'), refuseAt: 'handshake' } });
    try {
      expect(await probe(sim.url, { cert: file('client.crt'), key: file('client.key') })).toBe(200);
      expect(await probe(sim.url, { cert: file('rogue-client.crt'), key: file('rogue-client.key') })).toEqual(expect.any(String));
    } finally {
      await sim.close();
    }
  });
});
