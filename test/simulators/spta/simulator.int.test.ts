/**
 * The SPTA simulator: the SNE simulator speaking a profile. Its own service (path, namespace, actions),
 * answers and refusals in the dialect, its own stock, faults on its own paths, mutual TLS.
 */
import https from 'node:https';
import { createInterfaceNuuCodec, loadElementTable } from '../../../src/codec';
import { generateDemande } from '../../../src/synthetic';
import { startSptaSimulator, type RunningSptaSimulator } from '../../../src/simulators/spta';
import { buildSneRequest, parseSneResponse, SNE_SERVICE_NS, type SneRequestInput } from '../../../src/systems/sne/wire';
import { createSptaClient, createSptaCodec, loadSptaProfile } from '../../../src/systems/spta';
import { rawRequest, tlsFixtures } from '../support/http';

const profile = loadSptaProfile('ille-et-vilaine');
const { endpointPath, serviceNamespace } = profile.transport.webservice;
const CERTIFICAT = { nomCertificat: 'CERG0123-202501010000.pem', certificat: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n' };

/** Sends a request built for a namespace to a path, and reads the answer's document. */
async function call(sim: RunningSptaSimulator, input: SneRequestInput, ns = serviceNamespace, path = endpointPath) {
  const req = buildSneRequest(input, { serviceNamespace: ns });
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: req.headers, body: req.body });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, parsed: res.status === 404 ? undefined : parseSneResponse(res.headers.get('content-type') ?? undefined, body, { operation: input.operation }) };
}

describe('the SPTA simulator', () => {
  let sim: RunningSptaSimulator;

  beforeAll(async () => {
    sim = await startSptaSimulator({ profile: 'ille-et-vilaine', seed: 'spta-sim', count: 20 });
  });
  afterAll(async () => sim.close());

  it("serves the profile's own path and namespace, with the SOAP actions of that namespace", async () => {
    expect(sim.endpoint).toBe(`${sim.url}${endpointPath}`);
    const [first] = [...sim.store.iterate()];
    const ok = await call(sim, { operation: 'getDemandeLogement', numUnique: first!.numUnique, ...CERTIFICAT });
    expect(ok.parsed?.kind).toBe('interfaceNuu');
    expect((await call(sim, { operation: 'getDemandeLogement', numUnique: first!.numUnique, ...CERTIFICAT }, SNE_SERVICE_NS)).parsed).toMatchObject({
      kind: 'fault',
      fault: { code: 'Sender' },
    });
    expect((await call(sim, { operation: 'getDemandeLogement', numUnique: first!.numUnique, ...CERTIFICAT }, serviceNamespace, '/services/DemandeLogementImplService/')).status).toBe(404);
  });

  it('answers in its dialect, which its codec reads to the demand it holds', async () => {
    const [first] = [...sim.store.iterate()];
    const { parsed } = await call(sim, { operation: 'getDemandeLogement', numUnique: first!.numUnique, ...CERTIFICAT });
    if (parsed?.kind !== 'interfaceNuu') throw new Error('expected a demand document');
    expect(parsed.xml).toContain('<demandeurPrincipal>');
    expect(parsed.xml).toMatch(/<situationFamiliale code="(CELIB|MARIE|DIVORCE|SEPARE|PACSE|CONCUB|VEUF)"\/>/);
    const codec = createSptaCodec(profile, loadElementTable());
    expect(codec.parse(parsed.xml).demandes[0]).toMatchObject({ ok: true, demande: first!.demande });
  });

  it('refuses an SNE-format file with an anomaly naming the element, never a value', async () => {
    const sne = createInterfaceNuuCodec({ elements: loadElementTable() });
    const file = sne.build({ versionInterface: '02.01', entete: { typeFichier: 'CRE', dateFichier: '2025-03-01T10:00:00.0+01:00' }, demandes: [generateDemande('spta-sim-new', 0, { mode: 'creation' })] });
    const { parsed } = await call(sim, { operation: 'getNumUnique', nomFichierDemande: 'DEMG0123-202503011000-000001.xml', fichierDemande: file, ...CERTIFICAT });
    if (parsed?.kind !== 'interfaceNuu') throw new Error('expected an anomaly document');
    expect(parsed.anomalies).toContainEqual(expect.objectContaining({ code: 'CTRL_DEM_0034', message: expect.stringContaining('<demandeur>: an SNE element name') }));
    expect(parsed.anomalies.map((a) => a.message).join('\n')).toContain('[dialect.element]');
  });

  it('keeps a stock of its own: another seed, other demands; its creations are its own', async () => {
    const other = await startSptaSimulator({ profile, seed: 'spta-sim-other', count: 20 });
    try {
      const mine = [...sim.store.iterate()].map((r) => r.demande);
      const theirs = [...other.store.iterate()].map((r) => r.demande);
      expect(theirs).not.toEqual(mine);
      const c = createSptaClient({ config: { id: '35', profile: profile.name, transport: 'webservice', url: other.url, timeoutMs: 5000, rateLimit: { max: 5, durationMs: 1000 } }, profile, guichet: 'G0123', interfaceVersion: '02.01' });
      try {
        const r = await c.submit({ typeFichier: 'CRE', demande: generateDemande('spta-sim-new', 1, { mode: 'creation' }) });
        expect(r.numUnique).toHaveLength(18);
        expect(other.store.get(r.numUnique)?.origin).toBe('created');
        expect(sim.store.get(r.numUnique)?.origin).not.toBe('created');
      } finally {
        await c.close();
      }
    } finally {
      await other.close();
    }
  });

  it('faults its own paths: a fault on writes leaves reads alone', async () => {
    sim.faults.add({ kind: 'maintenance', path: sim.writePath, count: 1, retryAfterSeconds: 3 });
    const [first] = [...sim.store.iterate()];
    expect((await call(sim, { operation: 'getDemandeLogement', numUnique: first!.numUnique, ...CERTIFICAT })).status).toBe(200);
    const write = buildSneRequest(
      { operation: 'getNumUnique', nomFichierDemande: 'DEMG0123-202503011000-000002.xml', fichierDemande: '<interfaceNuu/>', ...CERTIFICAT },
      { serviceNamespace },
    );
    const res = await fetch(sim.endpoint, { method: 'POST', headers: write.headers, body: write.body });
    expect(res.status).toBe(503);
    sim.faults.clear();
  });
});

describe('the SPTA simulator over mutual TLS', () => {
  it('answers only clients whose certificate is signed by its CA; others get a 403', async () => {
    const t = tlsFixtures();
    const sim = await startSptaSimulator({ profile, seed: 'spta-sim-tls', count: 3, tls: { cert: t.serverCert, key: t.serverKey, ca: t.ca } });
    try {
      const anonymous = await rawRequest(sim.url, { path: '/_sim/stats', token: null, tls: { ca: t.ca } });
      expect(anonymous.status).toBe(403);
      const admitted = await rawRequest(sim.url, { path: '/_sim/stats', token: null, tls: { ca: t.ca, cert: t.clientCert, key: t.clientKey } as https.RequestOptions });
      expect(admitted.status).toBe(200);
      const c = createSptaClient({
        config: { id: '35', profile: profile.name, transport: 'webservice', url: sim.url, tls: { cert: t.clientCert, key: t.clientKey, ca: t.ca }, timeoutMs: 5000, rateLimit: { max: 5, durationMs: 1000 } },
        profile,
        guichet: 'G0123',
        interfaceVersion: '02.01',
      });
      try {
        const r = await c.submit({ typeFichier: 'CRE', demande: generateDemande('spta-sim-tls', 0, { mode: 'creation' }) });
        expect(await c.getDemande(r.numUnique)).toMatchObject({ ok: true });
      } finally {
        await c.close();
      }
    } finally {
      await sim.close();
    }
  });
});
