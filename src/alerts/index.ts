/**
 * Alerts once per state change: {@link createAlerter} (log line + optional webhook, state shared through
 * Redis between processes) and {@link AlertRules} (the periodic rules: circuits, dead letters, pulls,
 * workers).
 */
export { AlertState, createAlerter, type Alerter, type AlerterOptions, type AlertNotification } from './alerter';
export { AlertRules, type AlertRulesOptions } from './rules';
