/**
 * Every Redis key the gateway writes, built from the configured prefix in one place, so that two
 * gateways (or two test files) with different prefixes never touch each other's data.
 */
/** The gateway's own queues; the push side has one queue per target (`push.sne`, `push.spta_35`: src/push). */
export const QueueName = {
  pull: 'pull',
  deliver: 'deliver',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export function keys(prefix: string) {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    /** BullMQ's own prefix: its keys are `<prefix>:bull:<queue>:...`. */
    bull: k('bull'),
    ledger: (system: string) => k('ledger', system),
    cursor: (source: string) => k('cursor', source),
    cursors: k('cursors'),
    run: (runId: string) => k('run', runId),
    runs: k('runs'),
    quarantine: k('quarantine'),
    quarantineItem: (id: string) => k('quarantine', 'item', id),
    deadLetter: (id: string) => k('dl', 'item', id),
    deadLetters: k('dl', 'by-date'),
    deadLetterIndex: (field: string, value: string) => k('dl', 'by', field, value),
    deadLetterAudit: k('dl', 'audit'),
    dispatchFiles: k('dispatch', 'files'),
    lock: (name: string) => k('lock', name),
    circuit: (target: string) => k('circuit', target),
    conflicts: k('conflicts'),
    seq: (name: string) => k('seq', name),
    pushOrder: (target: string, numUnique: string) => k('push', 'order', target, numUnique),
    idempotency: (target: string) => k('idem', target),
    heartbeat: (worker: string) => k('heartbeat', worker),
    lastPull: k('last-pull'),
    alerts: k('alerts'),
    reports: k('reports'),
    all: `${prefix}:*`,
  };
}
export type Keys = ReturnType<typeof keys>;
