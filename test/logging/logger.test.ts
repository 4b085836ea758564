import { Writable } from 'node:stream';
import { captureLogs, createLogger } from '../../src/logging';

function memory(options: { isTTY?: boolean; async?: boolean } = {}) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(c: Buffer, _e, done) {
        // An asynchronous destination (a pipe, a file) acknowledges later.
        const accept = () => {
          chunks.push(c.toString());
          done();
        };
        if (options.async) setTimeout(accept, 5);
        else accept();
      },
    }),
    { isTTY: options.isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

const fixedNow = () => new Date('2025-03-01T08:00:00.000Z');

describe('the logger', () => {
  it('writes one JSON line per entry with time, level, message and metadata', async () => {
    const m = memory();
    const logger = createLogger({ format: 'json', stream: m.stream, now: fixedNow, base: { service: 'passerelle' } });
    logger.info('pull done', { counts: { fetched: 3, valid: 2 }, durationMs: 40 });
    await logger.flush();
    expect(m.text()).toBe(
      '{"time":"2025-03-01T08:00:00.000Z","level":"info","message":"pull done","service":"passerelle","counts":{"fetched":3,"valid":2},"durationMs":40}\n',
    );
  });

  it('writes one readable line per entry in pretty format', async () => {
    const m = memory();
    const logger = createLogger({ format: 'pretty', stream: m.stream, now: fixedNow });
    logger.warn('circuit opened', { target: 'sne', state: 'open', path: 'a b' });
    await logger.flush();
    expect(m.text()).toBe('2025-03-01T08:00:00.000Z WARN  circuit opened target=sne state=open path="a b"\n');
  });

  it('chooses pretty lines on a terminal and JSON lines otherwise in auto format', async () => {
    const tty = memory({ isTTY: true });
    const pipe = memory();
    for (const m of [tty, pipe]) {
      const logger = createLogger({ format: 'auto', stream: m.stream, now: fixedNow });
      logger.info('started');
      await logger.flush();
    }
    expect(tty.text()).toMatch(/^2025-03-01T08:00:00.000Z .*INFO.* started\n$/);
    expect(JSON.parse(pipe.text())).toMatchObject({ level: 'info', message: 'started' });
  });

  it('drops entries below its level, and everything when silent', async () => {
    const { logger, entries } = captureLogs({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect((await entries()).map((e) => e.level)).toEqual(['warn', 'error']);

    const silent = captureLogs({ level: 'silent' });
    silent.logger.error('e');
    expect(await silent.text()).toBe('');
  });

  it('puts the run id, job id and numéro unique of a job on every line of its child logger', async () => {
    const { logger, entries } = captureLogs();
    const job = logger.child({ runId: 'run-1', jobId: 'job-9' }).child({ numUnique: '0351125000123G0123' });
    job.info('delivering', { target: 'sne' });
    job.error('failed', { code: 'SNE_FAULT' });
    logger.info('unrelated');
    const lines = await entries();
    for (const line of lines.slice(0, 2)) {
      expect(line).toMatchObject({ runId: 'run-1', jobId: 'job-9', numUnique: '0351125000123G0123' });
    }
    expect(lines[2]).not.toHaveProperty('runId');
  });

  it('flushes only once every line has reached a slow destination', async () => {
    const m = memory({ async: true });
    const logger = createLogger({ format: 'json', stream: m.stream });
    for (let i = 0; i < 20; i++) logger.info('line', { count: i });
    await logger.flush();
    expect(m.text().trim().split('\n')).toHaveLength(20);
    await expect(logger.flush()).resolves.toBeUndefined();
  });
});

describe('the count of dropped keys', () => {
  it('adds up what the bindings and the entry dropped', async () => {
    const { logger, entries } = captureLogs();
    logger.child({ runId: 'r', nom: 'x' }).info('m', { prenom: 'y', mel: 'z', jobId: 'j' });
    expect((await entries())[0]).toMatchObject({ runId: 'r', jobId: 'j', redacted: 3 });
  });
});
