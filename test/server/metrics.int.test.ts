/**
 * The metrics registry on its own: scrape-time readings from real stores, and a scrape that still
 * answers (Redis down) when the stores cannot.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { CursorStore } from '../../src/state/cursors';
import { DeadLetterStore } from '../../src/state/dead-letters';
import { createMetrics } from '../../src/server';
import { useTestRedis } from '../support/redis';

const t = useTestRedis('metrics');

describe('the metrics', () => {
  it('reports cursor lag against the injected clock, and an overdue cursor', async () => {
    const cursors = new CursorStore(t.redis, t.keys, () => new Date('2026-03-01T10:00:00.000Z'));
    await cursors.set('sne:dalo', '2026-03-01T09:00:00.000Z');
    const metrics = createMetrics({
      queues: [],
      stores: { cursors },
      cursorsExpectedIntervals: { 'sne:dalo': 900 },
      redis: t.redis,
      processMetrics: false,
      now: () => Date.parse('2026-03-01T10:30:00.000Z'),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('passerelle_cursor_lag_seconds{source="sne:dalo"} 1800');
    expect(text).toContain('passerelle_cursor_overdue{source="sne:dalo"} 1');
  });

  it('counts a run once, however often it is recorded', async () => {
    const metrics = createMetrics({ queues: [], stores: {}, processMetrics: false });
    const run = {
      id: 'r1',
      kind: 'pull',
      source: 'dispatch',
      trigger: 'schedule',
      status: 'failed' as const,
      startedAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T10:01:00.000Z',
      intakeDone: false,
      counts: { fetched: 3, valid: 2, quarantined: 1, unchanged: 0, changed: 2, delivered: 1, conflicts: 0, failed: 1 },
      error: 'TIMEOUT',
    };
    metrics.recordRun(run);
    metrics.recordRun(run);
    metrics.recordRun({ ...run, id: 'r2', status: 'running' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('passerelle_runs_total{kind="pull",source="dispatch",status="failed"} 1');
    expect(text).toContain('passerelle_run_records_total{kind="pull",source="dispatch",counter="quarantined"} 1');
    expect(text).toContain('passerelle_run_last_end_timestamp_seconds{kind="pull",source="dispatch",status="failed"} 1772359260');
  });

  it('still answers a scrape when Redis does not, with redis_up 0 and the failed readings counted', async () => {
    // A server that accepts connections and never answers: every command waits.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const dead = new Redis({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port, maxRetriesPerRequest: null });
    dead.on('error', () => undefined);
    try {
      const metrics = createMetrics({
        queues: [],
        stores: { deadLetters: new DeadLetterStore(dead, t.keys), cursors: new CursorStore(dead, t.keys) },
        redis: dead,
        processMetrics: false,
        scrapeTimeoutMs: 100,
      });
      const text = await metrics.registry.metrics();
      expect(text).toContain('passerelle_redis_up 0');
      expect(text).toMatch(/passerelle_metrics_scrape_errors_total\{collector="dead_letters"\} 1/);
      expect(text).toMatch(/passerelle_metrics_scrape_errors_total\{collector="cursors"\} 2/);
      expect(text).toMatch(/passerelle_dead_letters_open nan/i);
      expect(text).not.toContain('passerelle_quarantine_entries');
    } finally {
      dead.disconnect();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
