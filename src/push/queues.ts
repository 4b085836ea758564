/**
 * The push queues and the replayer for a process that does not run the pipeline (the CLI): the same
 * queue names and stores as the workers, nothing started.
 */
import { Queue } from 'bullmq';
import type { Gateway } from '../daemon/gateway';
import type { DeliverJobData } from '../sync/deliver';
import { jobDefaults } from '../queue/retry';
import type { PushJobData } from './jobs';
import { pushKeys, pushQueueName, type Target } from './keys';
import type { MappingsSource } from './mappings';
import { createReplayer, type Replayer } from './replay';
import { PushState } from './state';

/** One queue per target, on the gateway's connection and prefix. */
export function pushQueuesOf(gateway: Gateway, targets: readonly Target[]): Map<Target, Queue<PushJobData>> {
  const out = new Map<Target, Queue<PushJobData>>();
  for (const t of targets) {
    out.set(
      t,
      new Queue<PushJobData>(pushQueueName(t), { connection: gateway.bullRedis, prefix: gateway.keys.bull, defaultJobOptions: jobDefaults(gateway.retry) }),
    );
  }
  return out;
}

/** A replayer on a gateway's stores (its queues are closed by `close()`). */
export function replayerOf(
  gateway: Gateway,
  options: { targets: readonly Target[]; tables: MappingsSource; pushQueues?: Map<Target, Queue<PushJobData>> },
): Replayer & { close(): Promise<void> } {
  const own = options.pushQueues === undefined;
  const pushQueues = options.pushQueues ?? pushQueuesOf(gateway, options.targets);
  const replayer = createReplayer({
    redis: gateway.redis,
    deadLetters: gateway.deadLetters,
    runs: gateway.runs,
    cipher: gateway.cipher,
    tables: options.tables,
    state: new PushState(gateway.redis, pushKeys(gateway.keys)),
    pushQueues,
    deliverQueue: gateway.queues.deliver as Queue<DeliverJobData>,
    targets: options.targets,
    logger: gateway.logger,
  });
  return {
    ...replayer,
    async close() {
      if (own) await Promise.all([...pushQueues.values()].map((q) => q.close()));
    },
  };
}
