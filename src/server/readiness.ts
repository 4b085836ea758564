/**
 * The readiness report served by `/readyz`. The web server does not compute it: the daemon does (it
 * knows the Redis connection, the workers, the circuits and the sources), and passes a function.
 */

/** One thing readiness depends on (`redis`, `worker:deliver`, `circuit:sne`, `pull:sne:radiees`). */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Short and safe: a state, an age, an error code. Never data. */
  detail?: string;
}

/** `ready` is true when every check that matters is ok; `/readyz` answers 200 then, 503 otherwise. */
export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

/** Builds a report whose `ready` is the conjunction of its checks. */
export function readinessOf(checks: ReadinessCheck[]): Readiness {
  return { ready: checks.every((c) => c.ok), checks };
}
