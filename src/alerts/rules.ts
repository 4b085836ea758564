/**
 * The alert rules, evaluated periodically (and on circuit transitions) and fed to an {@link Alerter},
 * which turns states into notifications once per change:
 * - `circuit:<target>`: a circuit opened (alert) or closed again (resolved); half-open changes nothing;
 * - `dead-letters`: open dead letters at or above the threshold;
 * - `pull:<source>`: no successful pull of a source for longer than allowed;
 * - `worker:<name>`: a worker not alive.
 *
 * The daemon provides the readings (counts, last pulls, worker liveness) as functions; a reading that
 * fails leaves its alert's state as it was and is logged, the other rules still run.
 */
import { toSafeError } from '../errors';
import type { Logger } from '../logging';
import type { CircuitState } from '../queue/circuit';
import { AlertState, type Alerter } from './alerter';

export interface AlertRulesOptions {
  alerter: Alerter;
  logger: Logger;
  /** Between two evaluations; 60 s by default. */
  intervalMs?: number;
  now?: () => number;
  /** Alert when `countOpen()` ≥ `threshold` (config `alerts.deadLettersThreshold`). */
  deadLetters?: { countOpen: () => Promise<number>; threshold: number };
  /**
   * Alert when a source had no successful pull for more than `maxAgeMinutes` (config
   * `alerts.noSuccessfulPullMinutes`), or its own limit in `perSourceMinutes`. A source that never
   * succeeded is measured from the start of the rules.
   */
  pulls?: {
    sources: readonly string[];
    lastSuccessfulPull: (source: string) => Promise<Date | undefined>;
    maxAgeMinutes: number;
    perSourceMinutes?: Readonly<Record<string, number>>;
  };
  /** Liveness of each worker (`deliver`, `push`...): false raises `worker:<name>`. */
  workersAlive?: () => Promise<Readonly<Record<string, boolean>>>;
  /** Also reads the circuits at each evaluation (catches a transition whose process died before alerting). */
  circuits?: { targets: readonly string[]; state: (target: string) => Promise<CircuitState> };
}

/** Periodic evaluator of the alert rules; `start`/`stop` are idempotent, the timer is unref'd. */
export class AlertRules {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly logger: Logger;

  constructor(private readonly o: AlertRulesOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.logger = o.logger.child({ component: 'alerts' });
  }

  /** Evaluates at once, then every `intervalMs`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.intervalMs ?? 60_000);
    this.timer.unref();
    this.tick();
  }

  /** Stops the timer and waits for the evaluation and notifications in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  /** Pass it as the circuit's `onChange`: open raises `circuit:<target>`, closed resolves it. */
  readonly onCircuitChange = (target: string, from: CircuitState, to: CircuitState): void => {
    if (to === 'half-open') return; // still probing: the alert stands until the circuit closes
    this.track(
      this.o.alerter.set(
        `circuit:${target}`,
        to === 'open' ? AlertState.alert : AlertState.ok,
        to === 'open' ? `circuit to ${target} opened (was ${from})` : `circuit to ${target} closed`,
      ),
    );
  };

  private track(p: Promise<unknown>): void {
    const guarded = p.then(undefined, (e: unknown) => this.logger.error('alert notification failed', { err: toSafeError(e) }));
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  /** One evaluation at a time: a tick that finds one running skips. */
  private tick(): void {
    if (this.running) return;
    const run = this.evaluate().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    this.track(run);
  }

  /** Evaluates every rule once (also called by tests and on demand). */
  async evaluate(): Promise<void> {
    await this.o.alerter.retryPending();
    const rules: Array<[string, () => Promise<void>]> = [];
    if (this.o.deadLetters) rules.push(['dead-letters', () => this.deadLetters()]);
    if (this.o.pulls) rules.push(['pulls', () => this.pulls()]);
    if (this.o.workersAlive) rules.push(['workers', () => this.workers()]);
    if (this.o.circuits) rules.push(['circuits', () => this.circuits()]);
    for (const [name, rule] of rules) {
      try {
        await rule();
      } catch (e) {
        // A reading failed (Redis down...): keep the previous state rather than guess; readiness reports it.
        this.logger.error('alert rule could not be evaluated', { operation: name, err: toSafeError(e) });
      }
    }
  }

  private async deadLetters(): Promise<void> {
    const { countOpen, threshold } = this.o.deadLetters!;
    const n = await countOpen();
    const state = n >= threshold ? AlertState.alert : AlertState.ok;
    await this.o.alerter.set('dead-letters', state, `${n} open dead letter(s), threshold ${threshold}`);
  }

  private async pulls(): Promise<void> {
    const p = this.o.pulls!;
    const t = this.now();
    for (const source of p.sources) {
      const last = await p.lastSuccessfulPull(source);
      const limitMinutes = p.perSourceMinutes?.[source] ?? p.maxAgeMinutes;
      const minutes = Math.floor((t - (last ? last.getTime() : this.startedAt)) / 60_000);
      const late = minutes > limitMinutes;
      await this.o.alerter.set(
        `pull:${source}`,
        late ? AlertState.alert : AlertState.ok,
        last
          ? `last successful pull of ${source} ${minutes} min ago (limit ${limitMinutes} min)`
          : `no successful pull of ${source} since start ${minutes} min ago (limit ${limitMinutes} min)`,
      );
    }
  }

  private async workers(): Promise<void> {
    const alive = await this.o.workersAlive!();
    for (const [name, ok] of Object.entries(alive)) {
      await this.o.alerter.set(`worker:${name}`, ok ? AlertState.ok : AlertState.alert, ok ? `worker ${name} alive` : `worker ${name} not alive`);
    }
  }

  private async circuits(): Promise<void> {
    const c = this.o.circuits!;
    for (const target of c.targets) {
      const state = await c.state(target);
      if (state === 'half-open') continue;
      await this.o.alerter.set(
        `circuit:${target}`,
        state === 'open' ? AlertState.alert : AlertState.ok,
        state === 'open' ? `circuit to ${target} is open` : `circuit to ${target} closed`,
      );
    }
  }
}
