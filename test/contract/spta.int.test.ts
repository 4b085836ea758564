/**
 * The `DemandSystem` contract for the SPTA connector against the SPTA simulator, over HTTPS with mutual
 * TLS, for both shipped profiles: the national format, and the illustrative dialect (its own service path
 * and namespace, renamed elements, one translated code list). TLS material comes from
 * `scripts/gen-test-tls.sh`, generated once for this file in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SptaConfig } from '../../src/config';
import { generateDemande } from '../../src/synthetic';
import { startSptaSimulator } from '../../src/simulators/spta';
import { createSptaClient, loadSptaProfile } from '../../src/systems/spta';
import { runDemandSystemContract } from './demand-system.contract';

const SCRIPT = join(__dirname, '../../scripts/gen-test-tls.sh');

for (const profileName of ['ille-et-vilaine', 'sne-compatible']) {
  runDemandSystemContract(`SPTA connector (${profileName}) against the SPTA simulator over mutual TLS`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spta-contract-tls-'));
    execFileSync('bash', [SCRIPT, dir], { stdio: 'pipe' });
    const file = (name: string): string => join(dir, name);
    const profile = loadSptaProfile(profileName);
    const sim = await startSptaSimulator({
      profile,
      seed: `contract-${profileName}`,
      count: 60,
      tls: { cert: readFileSync(file('server.crt')), key: readFileSync(file('server.key')), ca: readFileSync(file('ca.crt')) },
    });
    const entry = (tls?: SptaConfig['tls']): SptaConfig => ({
      id: '35',
      profile: profileName,
      transport: 'webservice',
      url: sim.url,
      ...(tls ? { tls } : {}),
      timeoutMs: 1500,
      rateLimit: { max: 5, durationMs: 1000 },
    });
    const base = { profile, guichet: 'G0123', interfaceVersion: '02.01' };
    const system = createSptaClient({ ...base, config: entry({ cert: file('client.crt'), key: file('client.key'), ca: file('ca.crt') }) });
    let n = 0;
    const agents: https.Agent[] = [];
    const numbers = (records: Array<{ numUnique: string }>): string[] => records.map((r) => r.numUnique);

    return {
      system,
      simulator: {
        faults: sim.faults,
        stats: () => sim.stats(),
        writePath: sim.writePath,
        demande: async (nu) => sim.store.get(nu)?.demande,
        markDalo: async (nu) => {
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
          createSptaClient({ ...base, config: entry(), transportOptions: { httpsAgent: noCertificate } }),
          createSptaClient({ ...base, config: entry({ cert: file('rogue-client.crt'), key: file('rogue-client.key'), ca: file('ca.crt') }) }),
        ];
      },
      newDemande: () => generateDemande(`contract-spta-${profileName}`, n++, { mode: 'creation' }),
      invalidDemande: () => {
        const d = generateDemande(`contract-spta-${profileName}`, n++, { mode: 'creation' });
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
}
