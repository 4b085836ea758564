/**
 * The SPTA connector over a file exchange, against the SPTA simulator's file robot: writes go out as
 * dialect files, the return file completes them; no return in time is ambiguous; reads are unsupported.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SptaConfig } from '../../../src/config';
import { GatewayError } from '../../../src/errors';
import { generateDemande } from '../../../src/synthetic';
import { startSptaSimulator, type RunningSptaSimulator } from '../../../src/simulators/spta';
import { createSptaClient, loadSptaProfile, returnFileName, SptaErrorCode, type SptaClient } from '../../../src/systems/spta';
import { tempDir } from '../../simulators/support/http';

const profile = loadSptaProfile('ille-et-vilaine');
const layout = profile.transport.files;

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the call succeeded');
}

function fileClient(dropDir: string, timeoutMs = 5000): SptaClient {
  const config: SptaConfig = { id: '35-fichiers', profile: profile.name, transport: 'files', dropDir, timeoutMs, rateLimit: { max: 5, durationMs: 1000 } };
  return createSptaClient({ config, profile, guichet: 'G0123', interfaceVersion: '02.01', filePollMs: 20 });
}

let n = 0;
const newDemande = () => generateDemande('spta-files', n++, { mode: 'creation' });

describe('the SPTA connector over a file exchange', () => {
  let drop: { dir: string; remove: () => void };
  let sim: RunningSptaSimulator;
  let client: SptaClient;

  beforeAll(async () => {
    drop = tempDir('spta-files');
    sim = await startSptaSimulator({ profile, seed: 'spta-files', count: 5, files: { dropDir: drop.dir, pollMs: 20 } });
    client = fileClient(drop.dir);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
    drop.remove();
  });

  it('writes a dialect file, completes on its return, and files the return away', async () => {
    const demande = newDemande();
    const r = await client.submit({ typeFichier: 'CRE', demande });
    expect(r.demande).toEqual({ ...demande, numUnique: r.numUnique });
    expect(sim.store.get(r.numUnique)?.demande).toEqual({ ...demande, numUnique: r.numUnique });

    const processed = readdirSync(join(drop.dir, layout.outDir, 'processed'));
    const sent = processed.find((f) => existsSync(join(drop.dir, layout.doneDir, returnFileName(f))));
    expect(sent).toMatch(/^DEMG0123-\d{12}-\d{6}\.xml$/);
    const xml = readFileSync(join(drop.dir, layout.outDir, 'processed', sent!), 'utf8');
    expect(xml).toContain('<typeFichier>CRE</typeFichier>');
    expect(xml).toContain('<demandeurPrincipal>');
    expect(readFileSync(join(drop.dir, layout.doneDir, returnFileName(sent!)), 'utf8')).toContain('<typeFichier>RET</typeFichier>');
    expect(readdirSync(join(drop.dir, layout.inDir)).filter((f) => f.startsWith('RET'))).toEqual([]);
  });

  it('parks a refusal returned as anomalies as permanent, with its codes and its own id', async () => {
    const d = newDemande();
    const e = await rejection(client.submit({ typeFichier: 'CRE', demande: { ...d, logementRecherche: { ...d.logementRecherche, typesLogement: ['T9'] } } }));
    expect(e).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent', system: 'spta:35-fichiers', details: { codes: ['CTRL_DEM_0031'] } });
  });

  it('gets, for a file the SPTA cannot read at all, a return holding the service\'s generic text and no code', async () => {
    const name = 'DEMG0999-202503011000-000001.xml';
    mkdirSync(join(drop.dir, layout.outDir), { recursive: true });
    writeFileSync(join(drop.dir, layout.outDir, name), '<interfaceNuu><entete>');
    await sim.files!.tick();
    expect(readFileSync(join(drop.dir, layout.inDir, returnFileName(name)), 'utf8')).toContain('Une erreur inattendue est survenue');
  });

  it('says plainly that reads have no file equivalent', async () => {
    for (const call of [client.getDemande('035032500004G0123'), client.radieesDepuis(new Date()), client.nouveauxDaloDepuis(new Date()), client.doublons(newDemande())]) {
      expect(await rejection(call)).toMatchObject({ code: SptaErrorCode.unsupported, errorClass: 'permanent', system: 'spta:35-fichiers' });
    }
    expect(client.reads).toBe(false);
  });

  it('calls a write that cannot reach the exchange folder transient: nothing was delivered', async () => {
    const blocked = tempDir('spta-files-blocked');
    writeFileSync(join(blocked.dir, layout.outDir.split('/')[0]!), 'a file where the folder should be');
    const c = fileClient(blocked.dir);
    try {
      expect(await rejection(c.submit({ typeFichier: 'CRE', demande: newDemande() }))).toMatchObject({ code: SptaErrorCode.dropWrite, errorClass: 'transient' });
    } finally {
      await c.close();
      blocked.remove();
    }
  });
});

describe('a file exchange whose SPTA does not answer in time', () => {
  it('calls the write ambiguous, and a resend once the SPTA is back is recognised as the same write', async () => {
    const drop = tempDir('spta-files-late');
    const late = fileClient(drop.dir, 300);
    const demande = newDemande();
    const e = await rejection(late.submit({ typeFichier: 'CRE', demande }));
    expect(e).toMatchObject({ code: SptaErrorCode.noReturn, errorClass: 'ambiguous' });
    const waiting = readdirSync(join(drop.dir, layout.outDir));
    expect(waiting).toHaveLength(1);

    const sim = await startSptaSimulator({ profile, seed: 'spta-files-late', count: 0, files: { dropDir: drop.dir, pollMs: 20 } });
    const client = fileClient(drop.dir);
    try {
      while (sim.files!.processed() < 1) await sim.files!.tick();
      expect(sim.stats().writes).toBe(1);
      const again = await client.submit({ typeFichier: 'CRE', demande });
      expect(sim.stats()).toMatchObject({ writes: 1, duplicateWrites: 1 });
      expect(sim.store.get(again.numUnique)?.demande).toEqual({ ...demande, numUnique: again.numUnique });
    } finally {
      await late.close();
      await client.close();
      await sim.close();
      drop.remove();
    }
  });

  it('gives up waiting, ambiguously, when the client closes', async () => {
    const drop = tempDir('spta-files-close');
    const c = fileClient(drop.dir, 60_000);
    try {
      const pending = rejection(c.submit({ typeFichier: 'CRE', demande: newDemande() }));
      while (!existsSync(join(drop.dir, layout.outDir)) || readdirSync(join(drop.dir, layout.outDir)).filter((f) => f.endsWith('.xml')).length === 0) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await c.close();
      expect(await pending).toMatchObject({ code: SptaErrorCode.noReturn, errorClass: 'ambiguous' });
    } finally {
      drop.remove();
    }
  });
});
