/** Replay of a pull-side dead letter (a delivery to the local tool) through the same replayer. */
import { Gateway, Role } from '../../src/daemon/gateway';
import { loadMappings } from '../../src/mapping';
import { fixedMappings, replayerOf } from '../../src/push';
import { contentHash } from '../../src/sync/hash';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { activeDemandes } from './support';

const t = useTestRedis('push-replay-pull');

describe('the replay of a delivery dead letter', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let gateway: Gateway;

  beforeAll(async () => {
    dirs = testDirs('push-replay-pull');
    local = await startTestLocal();
    const config = testConfig({ dirs, prefix: `${t.prefix}-gw`, localUrl: local.sim.url });
    gateway = new Gateway({ config, logger: quietLogger().logger, local: local.client, systems: new Map(), roles: [Role.worker] });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway.close();
    await local.sim.close();
    await deleteByPrefix(t.redis, `${t.prefix}-gw`);
    dirs.cleanup();
  });

  it('delivers the sealed record again, in a replay run of its own, and closes the dead letter', async () => {
    const [demande] = activeDemandes(1, 'replay-pull');
    const nu = demande!.numUnique!;
    const dl = await gateway.deadLetters.add({
      queue: 'deliver',
      system: 'local',
      origin: `dispatch ${nu}`,
      numUnique: nu,
      code: 'LOCAL_UNAVAILABLE',
      errorClass: 'transient',
      message: 'local PUT /demandes/{numUnique}: answered 503 (unavailable)',
      attempts: 5,
      job: { name: 'deliver', data: { runId: 'run.pull.earlier', source: 'dispatch', numUnique: nu, hash: contentHash(demande!) } },
      sealedInput: gateway.cipher.seal(demande),
    });
    const replayer = replayerOf(gateway, { targets: ['sne'], tables: fixedMappings(loadMappings()) });
    try {
      const dry = await replayer.replayDeadLetter({ id: dl.id, who: 'ops', dryRun: true });
      expect(dry).toMatchObject({ ok: true, plan: [{ target: 'local', transmit: true, changedPaths: ['(whole demande)'] }] });
      expect(await local.client.getDemande(nu)).toBeNull();

      const r = await replayer.replayDeadLetter({ id: dl.id, who: 'ops' });
      expect(r.ok).toBe(true);
      const run = await gateway.waitForRun(`run.replay.${dl.id}.1`, { timeoutMs: 20_000 });
      expect(run).toMatchObject({ kind: 'replay', status: 'finished', counts: { changed: 1, delivered: 1, failed: 0 } });
      expect((await local.client.getDemande(nu))?.record).toEqual(JSON.parse(JSON.stringify(demande)));
      expect((await gateway.deadLetters.get(dl.id))!.status).toBe('replayed');
    } finally {
      await replayer.close();
    }
  });
});
