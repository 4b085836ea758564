/**
 * What the people running the gateway see and are told: worker heartbeats, readiness, metrics, alerts
 * and the web server, assembled for the roles a process runs. The gateway starts and closes it.
 */
import { hostname } from 'node:os';
import type { Router } from 'express';
import { AlertRules, createAlerter, type Alerter } from '../alerts';
import type { CircuitState } from '../queue/circuit';
import { createMetrics, createWebServer, readinessOf, type Metrics, type ReadinessCheck, type ReplayOutcome, type ReportInfo, type WebServer } from '../server';
import type { Gateway } from './gateway';

export interface OperationsOptions {
  replayDeadLetter?: (id: string, who: string) => Promise<ReplayOutcome>;
  listReports?: () => Promise<ReportInfo[]>;
  reportFile?: (id: string) => string | Promise<string>;
  /** Extra routes mounted before authentication (the signed event intake). */
  publicRoutes?: Array<{ path: string; router: Router }>;
  heartbeatMs?: number;
  alertIntervalMs?: number;
}

const HEARTBEAT_STALE_MS = 30_000;

/** Identifies this process in heartbeats: host and pid. */
export const processId = `${hostname()}:${process.pid}`;

export class Operations {
  readonly metrics: Metrics;
  private heartbeat: NodeJS.Timeout | undefined;
  private runsPoll: NodeJS.Timeout | undefined;
  private alerter: Alerter | undefined;
  private rules: AlertRules | undefined;
  private web: WebServer | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly gateway: Gateway, private readonly options: OperationsOptions = {}) {
    const g = gateway;
    this.metrics = createMetrics({
      queues: g.allQueues,
      stores: { deadLetters: g.deadLetters, cursors: g.cursors, quarantine: g.quarantine, conflicts: g.conflicts },
      circuit: g.circuit,
      circuitTargets: g.systemIds,
      redis: g.redis,
    });
  }

  /** Called by the circuit on each transition (wired by the gateway). */
  onCircuitChange = (target: string, from: CircuitState, to: CircuitState): void => {
    this.rules?.onCircuitChange(target, from, to);
  };

  /** Worker role: a heartbeat per process, so readiness and alerts elsewhere know workers are alive. */
  startHeartbeat(): void {
    if (this.heartbeat) return;
    const beat = () => {
      const alive = this.gateway.activeWorkers.every((w) => w.isRunning());
      // A missed beat is made up at the next one; readiness tolerates several.
      this.gateway.redis
        .hset(this.gateway.keys.heartbeat('workers'), processId, JSON.stringify({ at: Date.now(), alive }))
        .catch(() => undefined);
    };
    beat();
    this.heartbeat = setInterval(beat, this.options.heartbeatMs ?? 5_000);
    this.heartbeat.unref();
    for (const w of this.gateway.activeWorkers) this.metrics.observeWorker(w);
  }

  private async workersAlive(): Promise<Record<string, boolean>> {
    const all = await this.gateway.redis.hgetall(this.gateway.keys.heartbeat('workers'));
    const out: Record<string, boolean> = {};
    for (const [id, raw] of Object.entries(all)) {
      const hb = JSON.parse(raw) as { at: number; alive: boolean };
      // Processes gone for long are forgotten (a restart gets a new pid).
      if (Date.now() - hb.at > 10 * HEARTBEAT_STALE_MS) continue;
      out[id] = hb.alive && Date.now() - hb.at < HEARTBEAT_STALE_MS;
    }
    return out;
  }

  private async lastSuccessfulPull(source: string): Promise<Date | undefined> {
    const v = await this.gateway.redis.hget(this.gateway.keys.lastPull, source);
    return v ? new Date(v) : undefined;
  }

  /** Scheduled pull sources (those the schedules name): their last success is watched. */
  private watchedSources(): string[] {
    return this.gateway
      .schedules()
      .filter((s) => s.jobName === 'pull')
      .map((s) => String(s.data.source));
  }

  /** `/readyz`: Redis, workers alive and connected, circuits, last successful pull per source. */
  async readiness() {
    const g = this.gateway;
    const checks: ReadinessCheck[] = [];
    const redisOk = g.redis.status === 'ready' && (await g.redis.ping().then(() => true, () => false));
    checks.push({ name: 'redis', ok: redisOk, ...(redisOk ? {} : { detail: `connection ${g.redis.status}` }) });
    for (const w of g.activeWorkers) {
      const ok = redisOk && w.isRunning();
      checks.push({ name: `worker:${w.name}`, ok, ...(ok ? {} : { detail: 'not processing' }) });
    }
    if (redisOk) {
      for (const [id, alive] of Object.entries(await this.workersAlive())) {
        checks.push({ name: `process:${id}`, ok: alive, ...(alive ? {} : { detail: 'no heartbeat' }) });
      }
      for (const target of g.systemIds) {
        const state = await g.circuit.state(target);
        checks.push({ name: `circuit:${target}`, ok: state !== 'open', detail: state });
      }
      const maxAgeMs = g.config.alerts.noSuccessfulPullMinutes * 60_000;
      for (const source of this.watchedSources()) {
        const last = await this.lastSuccessfulPull(source);
        const since = last?.getTime() ?? this.startedAt;
        const ok = Date.now() - since <= maxAgeMs;
        checks.push({ name: `pull:${source}`, ok, detail: last ? `last success ${last.toISOString()}` : 'no success yet' });
      }
    }
    return readinessOf(checks);
  }

  /** Scheduler role: alert rules, evaluated periodically, once per state change across processes. */
  startAlerts(): void {
    if (this.rules) return;
    const g = this.gateway;
    this.alerter = createAlerter({
      logger: g.logger,
      redis: g.redis,
      redisKey: g.keys.alerts,
      ...(g.config.alerts.webhookUrl ? { webhookUrl: g.config.alerts.webhookUrl } : {}),
    });
    this.rules = new AlertRules({
      alerter: this.alerter,
      logger: g.logger,
      ...(this.options.alertIntervalMs ? { intervalMs: this.options.alertIntervalMs } : {}),
      deadLetters: { countOpen: () => g.deadLetters.countOpen(), threshold: g.config.alerts.deadLettersThreshold },
      pulls: {
        sources: this.watchedSources(),
        lastSuccessfulPull: (s) => this.lastSuccessfulPull(s),
        maxAgeMinutes: g.config.alerts.noSuccessfulPullMinutes,
      },
      workersAlive: () => this.workersAlive(),
      circuits: { targets: g.systemIds, state: (t) => g.circuit.state(t) },
    });
    this.rules.start();
  }

  /** Web role: dashboard, dead letters, runs, reports, health, readiness, metrics. */
  async startWeb(): Promise<{ url: string; port: number }> {
    const g = this.gateway;
    const { web } = g.config;
    this.web ??= createWebServer({
      host: web.host,
      port: web.port,
      users: web.users,
      tokens: web.tokens,
      trustProxy: web.trustProxy,
      publicMetrics: web.publicMetrics,
      ...(web.secureCookies === undefined ? {} : { secureCookies: web.secureCookies }),
      queues: g.allQueues,
      stores: { runs: g.runs, deadLetters: g.deadLetters, quarantine: g.quarantine, cursors: g.cursors, conflicts: g.conflicts },
      readiness: () => this.readiness(),
      metrics: this.metrics.registry,
      logger: g.logger,
      replayDeadLetter: this.options.replayDeadLetter ?? (async () => ({ ok: false, message: 'replay is not available in this process' })),
      ...(this.options.listReports ? { listReports: this.options.listReports } : {}),
      ...(this.options.reportFile ? { reportFile: this.options.reportFile } : {}),
      ...(this.options.publicRoutes ? { publicRoutes: this.options.publicRoutes } : {}),
    });
    // Finished runs feed the run counters (recordRun counts each run once).
    this.runsPoll ??= setInterval(() => {
      g.runs.list(50).then((runs) => runs.filter((r) => r.status !== 'running').forEach((r) => this.metrics.recordRun(r)), () => undefined);
    }, 10_000);
    this.runsPoll.unref();
    return this.web.listen();
  }

  async close(): Promise<void> {
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      // A clean stop is not a dead worker: without this, the last beat would go stale and turn the other
      // processes' readiness to 503 (and raise `worker:<id>`) for minutes after every restart.
      // Best effort, bounded: with Redis away the command would wait for it (and so would the shutdown).
      if (this.gateway.redis.status === 'ready') {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.gateway.redis.hdel(this.gateway.keys.heartbeat('workers'), processId).catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 1_000);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
      }
    }
    if (this.runsPoll) clearInterval(this.runsPoll);
    this.heartbeat = undefined;
    this.runsPoll = undefined;
    await this.rules?.stop();
    await this.web?.close();
  }
}
