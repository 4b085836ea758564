/**
 * Both sides of a reconciliation with known differences: the SNE simulator, the local-tool simulator and
 * a real gateway (pull and delivery workers) on a test Redis prefix. Every demand has one role: a
 * category or a regulatory check it must land in, or none (clean). The differences are made the way
 * they happen: a pull, then changes on either side, a delivery that fails until it is dead-lettered, a
 * 409, a quarantined file, a pending push.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable, type InterfaceNuuCodec } from '../../src/codec';
import type { Config } from '../../src/config';
import { Gateway, Role } from '../../src/daemon/gateway';
import { Demande, type DemandeInput } from '../../src/domain';
import type { Logger } from '../../src/logging';
import { loadMappings } from '../../src/mapping';
import { pushQueueName } from '../../src/push/keys';
import type { ReconcileServiceDeps } from '../../src/reconcile';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { generateDemandes } from '../../src/synthetic';
import { createSystems } from '../../src/systems';
import { startTestLocal, testConfig, testDirs, writeTestConfig, type TestDirs } from '../support/gateway';
import { Queue } from 'bullmq';

export const TODAY = '2025-03-14';
export const SIREN = '999999001';

/** The roles, by the demand's position in the generated set. */
export const ROLE = {
  clean: 0,
  renewalDue: 1,
  expired: 2,
  delaiLong: 3,
  delaiLongDalo: 4,
  retention: 5,
  attributionNotReported: 6,
  attributionReported: 7,
  attributionIncomplete: 8,
  housed: 9,
  notHoused1: 10,
  notHoused2: 11,
  deletedLocally: 12,
  deadLetter: 13,
  sourceAhead: 14,
  changedLocally: 15,
  changedLocallyPushPending: 16,
  conflict: 17,
  localOnly: 18,
  notPulled: 19,
  goneFromSource: 20,
  pushDeadLetter: 21,
  quarantined: 22,
  clean2: 23,
} as const;

export interface World {
  dirs: TestDirs;
  configPath: string;
  config: Config;
  local: Awaited<ReturnType<typeof startTestLocal>>;
  sne: RunningSneSimulator;
  gateway: Gateway;
  codec: InterfaceNuuCodec;
  stockDir: string;
  nu: (role: number) => string;
  demandes: Demande[];
  deps: ReconcileServiceDeps;
  pushQueue: Queue;
  close(): Promise<void>;
}

function dated(d: Demande, patch: Partial<DemandeInput>): Demande {
  return Demande.parse({ ...d, radiation: undefined, dalo: undefined, labels: [], dateDernierRenouvellement: undefined, dateExpiration: undefined, dateCreationDemande: '2025-01-10', ...patch });
}

const flip = (d: Demande): Demande => ({ ...d, logementRecherche: { ...d.logementRecherche, demandeElargie: !d.logementRecherche.demandeElargie } });

export async function buildWorld(prefix: string, logger: Logger): Promise<World> {
  const dirs = testDirs('reconcile');
  const stockDir = join(dirs.root, 'stock');
  mkdirSync(stockDir, { recursive: true });
  const local = await startTestLocal();
  const sne = await startSneSimulator({ count: 0, dispatchDir: stockDir });
  const extra = {
    territory: { department: '35', delaiAnormalementLongMonths: 24 },
    reconcile: { outDir: join(dirs.root, 'reports'), keep: 3, attributionReportDays: 30, rateLimit: { max: 50, durationMs: 1000 } },
  };
  const configPath = writeTestConfig({ dirs, prefix, localUrl: local.sim.url, sneUrl: sne.url, extra });
  const config = testConfig({ dirs, prefix, localUrl: local.sim.url, sneUrl: sne.url, extra });
  const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
  const systems = createSystems({ config, codec, logger });
  const gateway = new Gateway({ config, logger, local: local.client, systems, codec, roles: [Role.worker] });
  await gateway.start();

  const base = generateDemandes({ count: 24, seed: 'reconcile-world', today: TODAY });
  const demandes = base.map((d, i) => {
    switch (i) {
      case ROLE.renewalDue:
        return dated(d, { dateCreationDemande: '2024-03-24' });
      case ROLE.expired:
        return dated(d, { dateCreationDemande: '2024-02-20' });
      case ROLE.delaiLong:
        return dated(d, { dateCreationDemande: '2022-06-01', dateDernierRenouvellement: '2025-01-05' });
      case ROLE.delaiLongDalo:
        return dated(d, { dateCreationDemande: '2022-06-01', dateDernierRenouvellement: '2025-01-05', labels: [{ source: 'DALO', date: '2024-05-01' }] });
      case ROLE.retention:
        return dated(d, { dateCreationDemande: '2023-06-01', radiation: { motif: 'RADABA', date: '2024-01-10' } });
      case ROLE.attributionReported:
        return dated(d, { radiation: { motif: 'RADATT', date: '2025-01-12' } });
      default:
        return dated(d, {});
    }
  });
  const nu = (role: number): string => demandes[role]!.numUnique!;
  const atSne = (d: Demande) => sne.store.put({ numUnique: d.numUnique!, demande: d, origin: 'created' });
  for (const [i, d] of demandes.entries()) {
    if (i === ROLE.localOnly || i === ROLE.notPulled || i === ROLE.quarantined) continue;
    atSne(d);
  }

  // The first pull: every demand of the SNE, plus a file holding an invalid demand (quarantined). The
  // delivery of one demand fails until it is dead-lettered.
  local.sim.faults.add({ kind: 'error', method: 'PUT', path: `/demandes/${nu(ROLE.deadLetter)}`, status: 503 });
  // The pull writes pages in batches: refuse those too, so every demand goes through the delivery queue,
  // where the PUT of that one demand keeps failing.
  local.sim.faults.add({ kind: 'error', method: 'POST', path: '/demandes/batch', status: 503 });
  await sne.writeDispatchFile({ dir: dirs.drop, all: true });
  const bad = buildInterfaceNuu(
    { versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-13T03:00:00.0+01:00' }, demandes: [demandes[ROLE.quarantined]!] },
    codec,
  ).replace(/<dateNaissance>\d{4}-\d{2}-\d{2}<\/dateNaissance>/, '<dateNaissance>1990-02-30</dateNaissance>');
  writeFileSync(join(dirs.drop, 'DEMG0123-202503130300-000001.xml'), bad);
  let { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
  await gateway.waitForRun(runId, { timeoutMs: 60_000 });
  local.sim.faults.clear();

  // A demand only the local tool holds.
  local.sim.store.seedDemandes([{ numUnique: nu(ROLE.localOnly), record: JSON.parse(JSON.stringify(demandes[ROLE.localOnly])) }]);
  // Changes on either side since the pull.
  local.sim.store.db.prepare('DELETE FROM demandes WHERE num_unique = ?').run(nu(ROLE.deletedLocally));
  atSne(flip(demandes[ROLE.sourceAhead]!));
  local.sim.store.touch(nu(ROLE.changedLocally), (r) => flip(r as Demande));
  local.sim.store.touch(nu(ROLE.changedLocallyPushPending), (r) => flip(r as Demande));
  // Both sides changed, then a dispatch brings the SNE's change: the delivery meets a 409.
  local.sim.store.touch(nu(ROLE.conflict), (r) => flip(r as Demande));
  const c = demandes[ROLE.conflict]!;
  atSne({ ...c, logementRecherche: { ...c.logementRecherche, typesLogement: c.logementRecherche.typesLogement.includes('T3') ? ['T4'] : ['T3'] } });
  await sne.writeDispatchFile({ dir: dirs.drop, numUniques: [nu(ROLE.conflict)] });
  ({ runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' }));
  await gateway.waitForRun(runId, { timeoutMs: 60_000 });
  // New at the SNE, never pulled; gone from the SNE.
  atSne(demandes[ROLE.notPulled]!);
  sne.store.remove(nu(ROLE.goneFromSource), { numUnique: nu(ROLE.goneFromSource), typeFichier: 'SUP', kind: 'remove', nomFichierDemande: 'DEMG0123-202503130400-000001.xml', blocks: [] });

  // A push waiting in its queue and in the demand's order set; a push dead-lettered.
  const pushQueue = new Queue(pushQueueName('sne'), { connection: gateway.bullRedis, prefix: gateway.keys.bull });
  await pushQueue.add('event', { target: 'sne', eventId: 'ev-pending-1', numUnique: nu(ROLE.changedLocallyPushPending), seq: 900, type: 'rectification' }, { jobId: 'push.sne.ev-pending-1' });
  await gateway.redis.zadd(gateway.keys.pushOrder('sne', nu(ROLE.changedLocallyPushPending)), 900, 'ev-pending-1');
  await gateway.deadLetters.add({
    queue: pushQueueName('sne'),
    system: 'sne',
    origin: 'event ev-dl-21',
    numUnique: nu(ROLE.pushDeadLetter),
    code: 'CTRL_DEM_0042',
    errorClass: 'permanent',
    message: 'the SNE refused the file: anomaly CTRL_DEM_0042',
    attempts: 1,
    job: { name: 'event', data: { target: 'sne', eventId: 'ev-dl-21', numUnique: nu(ROLE.pushDeadLetter), seq: 21, type: 'renouvellement' } },
  });

  // The procedure's events: CAL decisions and attributions.
  const at = (date: string) => `${date}T10:00:00+01:00`;
  const logement = { bailleurSiren: SIREN, rpls: 'A000000101' };
  const complete = (dateSignatureBail: string, dateCommission: string, dwelling = logement) => ({
    logement: dwelling,
    imputation: { type: 'bailleur' },
    dalo: false,
    cia: false,
    accordCollectif: 'AUCUN',
    prioritaireL441: false,
    dateSignatureBail,
    mutationInterne: false,
    dateCommission,
  });
  const other = { bailleurSiren: SIREN, rpls: 'A000000201' };
  const events = [
    { id: 'ev-cal-6', numUnique: nu(ROLE.attributionNotReported), type: 'decisionCal', occurredAt: at('2025-01-05'), payload: { dateCommission: '2025-01-05', logement: other, decision: { kind: 'attribution' } } },
    { id: 'ev-att-6', numUnique: nu(ROLE.attributionNotReported), type: 'attribution', occurredAt: at('2025-01-10'), payload: complete('2025-01-10', '2025-01-05', other) },
    { id: 'ev-cal-7', numUnique: nu(ROLE.attributionReported), type: 'decisionCal', occurredAt: at('2025-01-05'), payload: { dateCommission: '2025-01-05', logement: { bailleurSiren: SIREN, rpls: 'A000000102' }, decision: { kind: 'attribution' } } },
    { id: 'ev-att-7', numUnique: nu(ROLE.attributionReported), type: 'attribution', occurredAt: at('2025-01-10'), payload: complete('2025-01-10', '2025-01-05', { bailleurSiren: SIREN, rpls: 'A000000102' }) },
    {
      id: 'ev-att-8',
      numUnique: nu(ROLE.attributionIncomplete),
      type: 'attribution',
      occurredAt: at('2025-03-10'),
      payload: { logement: { bailleurSiren: SIREN, rpls: 'A000000103' }, cia: false, accordCollectif: 'AUCUN', prioritaireL441: false, dateSignatureBail: '2025-03-10', mutationInterne: false },
    },
    ...[ROLE.housed, ROLE.notHoused1, ROLE.notHoused2].map((role, i) => ({
      id: `ev-rang-${role}`,
      numUnique: nu(role),
      type: 'decisionCal',
      occurredAt: at('2025-03-05'),
      payload: { dateCommission: '2025-03-05', logement, decision: { kind: 'attributionRang', rang: i + 1, nombreClasses: 3 } },
    })),
    { id: 'ev-att-9', numUnique: nu(ROLE.housed), type: 'attribution', occurredAt: at('2025-03-12'), payload: complete('2025-03-12', '2025-03-05') },
  ];
  for (const e of events) await local.client.postEvenement(e);

  const deps: ReconcileServiceDeps = {
    config,
    redis: gateway.redis,
    bullRedis: gateway.bullRedis,
    keys: gateway.keys,
    ledger: gateway.ledger,
    deadLetters: gateway.deadLetters,
    quarantine: gateway.quarantine,
    conflicts: gateway.conflicts,
    runs: gateway.runs,
    codec,
    logger,
    queues: gateway.queues,
    local: local.client,
    systems,
    tables: loadMappings(),
  };

  return {
    dirs,
    configPath,
    config,
    local,
    sne,
    gateway,
    codec,
    stockDir,
    nu,
    demandes,
    deps,
    pushQueue,
    async close() {
      await pushQueue.close();
      await gateway.close();
      await sne.close();
      await local.sim.close();
      dirs.cleanup();
    },
  };
}
