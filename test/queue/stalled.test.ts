import { EventEmitter } from 'node:events';
import type { Job, Worker } from 'bullmq';
import { ErrorClass, isGatewayError } from '../../src/errors';
import { MAX_STALLED_COUNT, onStalledGiveUp, type FinalFailure } from '../../src/queue/retry';
import { quietLogger } from '../support/gateway';

/** The part of a BullMQ worker `onStalledGiveUp` listens to. */
function fakeWorker(): Worker & EventEmitter {
  return Object.assign(new EventEmitter(), { name: 'push-sne' }) as unknown as Worker & EventEmitter;
}

describe('a job BullMQ gives up for stalling', () => {
  const job = { id: 'sne.EVT-1', data: { eventId: 'EVT-1' } } as unknown as Job;

  it('goes through the final-failure path as a permanent JOB_STALLED error, naming the limit', async () => {
    const worker = fakeWorker();
    const failures: FinalFailure[] = [];
    onStalledGiveUp(worker, async (f) => void failures.push(f), quietLogger().logger, 'sne');
    worker.emit('failed', job, new Error('job stalled more than allowable limit'));
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.job).toBe(job);
    expect(failures[0]!.errorClass).toBe(ErrorClass.permanent);
    const error = failures[0]!.error;
    expect(isGatewayError(error) && error.code).toBe('JOB_STALLED');
    expect(error.message).toContain(String(MAX_STALLED_COUNT));
  });

  it('leaves other failures to the processor, which already recorded them', async () => {
    const worker = fakeWorker();
    const failures: FinalFailure[] = [];
    onStalledGiveUp(worker, async (f) => void failures.push(f), quietLogger().logger, 'sne');
    worker.emit('failed', job, new Error('permanent SNE_REFUSED: refused'));
    worker.emit('failed', undefined, new Error('job stalled more than allowable limit'));
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(0);
  });

  it('lets a job survive many crashes before it is given up', () => {
    expect(MAX_STALLED_COUNT).toBeGreaterThanOrEqual(10);
  });
});
