/**
 * The `DemandSystem` contract for the SNE client against the SNE simulator, over HTTPS with mutual TLS.
 * TLS material comes from `scripts/gen-test-tls.sh`, generated once for this file in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { generateDemande } from '../../src/synthetic';
import { startSneSimulator } from '../../src/simulators/sne';
import { createSneClient, defaultAnomalyTablePath, type SneClientOptions } from '../../src/systems/sne';
import { loadAnomalyTable } from '../../src/systems/sne/wire';
import { runDemandSystemContract } from './demand-system.contract';

const SCRIPT = join(__dirname, '../../scripts/gen-test-tls.sh');

runDemandSystemContract('SNE client against the SNE simulator over mutual TLS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sne-contract-tls-'));
  execFileSync('bash', [SCRIPT, dir], { stdio: 'pipe' });
  const file = (name: string): string => join(dir, name);
  const sim = await startSneSimulator({
    seed: 'contract',
    count: 80,
    tls: { cert: readFileSync(file('server.crt')), key: readFileSync(file('server.key')), ca: readFileSync(file('ca.crt')) },
  });
  const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
  const base: SneClientOptions = { url: sim.url, guichet: 'G0123', timeoutMs: 1500, interfaceVersion: '02.01', codec, anomalyTable: loadAnomalyTable(defaultAnomalyTablePath) };
  const system = createSneClient({ ...base, tls: { cert: file('client.crt'), key: file('client.key'), ca: file('ca.crt') } });
  let n = 0;
  const agents: https.Agent[] = [];
  const numbers = (records: Array<{ numUnique: string }>): string[] => records.map((r) => r.numUnique);

  return {
    system,
    simulator: {
      faults: sim.faults,
      stats: () => sim.stats(),
      writePath: '/services/DemandeLogementImplService/getNumUnique',
      demande: async (nu) => sim.store.get(nu)?.demande,
      markDalo: async (nu) => {
        // Through the admin route, as the demo does (with the client certificate: the server asks for it).
        const status = await new Promise<number>((resolve, reject) => {
          const req = https.request(`${sim.url}/_sim/dalo/${nu}`, {
            method: 'POST',
            cert: readFileSync(file('client.crt')),
            key: readFileSync(file('client.key')),
            ca: readFileSync(file('ca.crt')),
            agent: false,
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(200);
      },
      radieesDepuis: async (since) => numbers(await sim.store.radieesDepuis(since.getTime())),
      nouveauxDaloDepuis: async (since) => numbers(await sim.store.daloDepuis(since.getTime())),
    },
    unauthenticated: () => {
      const noCertificate = new https.Agent({ ca: readFileSync(file('ca.crt')) });
      agents.push(noCertificate);
      return [
        createSneClient({ ...base, transportOptions: { httpsAgent: noCertificate } }),
        createSneClient({ ...base, tls: { cert: file('rogue-client.crt'), key: file('rogue-client.key'), ca: file('ca.crt') } }),
      ];
    },
    newDemande: () => generateDemande('contract-new', n++, { mode: 'creation' }),
    invalidDemande: () => {
      const d = generateDemande('contract-new', n++, { mode: 'creation' });
      return { demande: { ...d, logementRecherche: { ...d.logementRecherche, typesLogement: ['T9'] } }, code: 'CTRL_DEM_0031' };
    },
    teardown: async () => {
      await system.close();
      for (const a of agents) a.destroy();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
