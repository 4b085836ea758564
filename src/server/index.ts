/**
 * The web side of the gateway: {@link createWebServer} (dashboard, dead letters, runs, reports, health,
 * readiness, metrics, behind authentication) and {@link createMetrics} (the Prometheus registry it serves).
 */
export { createWebServer, SESSION_COOKIE, type WebServer, type WebServerOptions } from './server';
export { createMetrics, CIRCUIT_STATE_VALUE, QUEUE_STATES, type Metrics, type MetricsOptions } from './metrics';
export { readinessOf, type Readiness, type ReadinessCheck } from './readiness';
export { WEB_NO_CREDENTIALS, type Principal, type WebToken, type WebUser } from './auth';
export { redactSealed, SEALED_KEYS, SEALED_MARK } from './board';
export type { DeadLetterView, QuarantineView, ReplayOutcome, ReportInfo, WebStores } from './types';
