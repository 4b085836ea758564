/**
 * `passerelle dead-letters`, `passerelle replay` and `passerelle discard`, run as an operator runs them
 * (the real binary, a configuration file, real Redis under a unique prefix).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { PayloadCipher } from '../../src/queue/crypto';
import { keys as makeKeys } from '../../src/queue/keys';
import { pushJobId, pushKeys, pushQueueName } from '../../src/push';
import { DeadLetterStore } from '../../src/state/dead-letters';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { TEST_HMAC, TEST_KEY, TEST_LOCAL_TOKEN, testConfig, testDirs, type TestDirs } from '../support/gateway';

const repo = resolve(__dirname, '../..');
const bin = join(repo, 'bin/passerelle.js');
const t = useTestRedis('push-cli');
const env = { PATH: process.env.PATH, T_LOCAL_TOKEN: TEST_LOCAL_TOKEN, T_KEY: TEST_KEY, T_HMAC: TEST_HMAC, PASSERELLE_CONFIG: '' };
const NUM = '1110318016982G1104';

// Each command starts a process that compiles the TypeScript sources: seconds, not milliseconds.
jest.setTimeout(120_000);

describe('the dead-letter commands', () => {
  let dirs: TestDirs;
  let config: string;
  const prefix = `${t.prefix}-gw`;
  const keys = makeKeys(prefix);
  const store = new DeadLetterStore(t.redis, keys);
  const cipher = new PayloadCipher([{ id: 'k1', secret: TEST_KEY }], 'k1');

  function run(...args: string[]) {
    const r = spawnSync(process.execPath, [bin, ...args, '--config', config], { cwd: dirs.root, env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** An event refused at intake for a local code the table has since learnt. */
  async function intakeDeadLetter(id: string) {
    const raw = { id, seq: 41, numUnique: NUM, type: 'label', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: { source: 'DALO', date: '2024-03-01' } };
    return store.add({
      id: `intake.${id}`,
      queue: 'push-intake',
      system: 'local',
      origin: `event ${id} (seq 41)`,
      numUnique: NUM,
      code: 'MAPPING_UNKNOWN_LOCAL_CODE',
      errorClass: 'permanent',
      message: 'event refused at intake: source: unknown local code [unknown-local-code]',
      attempts: 1,
      job: { name: 'intake', data: { eventId: id, numUnique: NUM, seq: 41, type: 'label', targets: ['sne'] } },
      sealedInput: cipher.seal(raw),
    });
  }

  beforeAll(async () => {
    dirs = testDirs('push-cli');
    testConfig({ dirs, prefix, localUrl: 'http://127.0.0.1:1' });
    config = join(dirs.root, 'config.yaml');
  });

  afterAll(async () => {
    await deleteByPrefix(t.redis, prefix);
    dirs.cleanup();
  });

  it('lists open dead letters as a table and exits 1; exits 0 when none matches', async () => {
    const dl = await intakeDeadLetter('evt-cli-1');
    const r = run('dead-letters');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(dl.id);
    expect(r.stdout).toContain('MAPPING_UNKNOWN_LOCAL_CODE');
    const none = run('dead-letters', '--code', 'NOTHING_LIKE_IT');
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('no dead letter matches');
    const json = run('dead-letters', '--json');
    expect(json.stdout).not.toContain('v1.k1.');
    expect(JSON.parse(json.stdout.trim().split('\n')[0]!)).toMatchObject({ id: dl.id, hasInput: true });
  });

  it('says in a dry run what a replay would send, changing nothing', async () => {
    const r = run('replay', '--dead-letter', 'intake.evt-cli-1', '--dry-run', '--mappings', join(repo, 'mappings'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('would replay');
    expect(r.stdout).toContain('sne: MOD; changed: labels');
    expect((await store.get('intake.evt-cli-1'))!.status).toBe('open');
  });

  it('replays a dead letter: a job in the target queue, in its demand order, and the dead letter closed with who did it', async () => {
    const r = run('replay', '--dead-letter', 'intake.evt-cli-1', '--who', 'alice', '--mappings', join(repo, 'mappings'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('replayed');
    const queue = new Queue(pushQueueName('sne'), { connection: t.redis, prefix: keys.bull });
    try {
      const job = await queue.getJob(pushJobId('sne', 'evt-cli-1'));
      expect(job?.data).toMatchObject({ target: 'sne', eventId: 'evt-cli-1', numUnique: NUM, seq: 41, replay: 1 });
    } finally {
      await queue.close();
    }
    expect(await t.redis.zrange(pushKeys(keys).order('sne', NUM), '0', '-1')).toEqual(['evt-cli-1']);
    const dl = (await store.get('intake.evt-cli-1'))!;
    expect(dl.status).toBe('replayed');
    expect((await store.audit()).find((a) => a.deadLetterId === dl.id)).toMatchObject({ who: 'alice', action: 'replay' });
    // Once replayed, a second replay is refused.
    expect(run('replay', '--dead-letter', 'intake.evt-cli-1', '--mappings', join(repo, 'mappings')).status).toBe(1);
  });

  it('discards a dead letter, and refuses a replay asked without a dead letter or a code', async () => {
    await intakeDeadLetter('evt-cli-2');
    const r = run('discard', '--dead-letter', 'intake.evt-cli-2', '--who', 'bob');
    expect(r.status).toBe(0);
    expect((await store.get('intake.evt-cli-2'))!.status).toBe('discarded');
    const bad = run('replay');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--dead-letter');
  });
});
