import { redactUrl } from '../logging/redact';
import type { Config } from './schema';

/** Paths (array indices as `[]`) whose values are secrets or must not be shown (password hashes). */
const MASKED = new Set([
  'local.token',
  'crypto.keys[].secret',
  'events.hmacSecret',
  'web.tokens[].token',
  'web.users[].passwordHash',
]);

/** URLs that carry their secret in the path (chat webhooks): only the origin is shown. */
const ORIGIN_ONLY = new Set(['alerts.webhookUrl']);

export const MASK = '***';

/**
 * A copy of the configuration safe to print or serve: secrets and password hashes masked, URL
 * credentials and query strings removed, webhook URLs reduced to their origin.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  return walk(config, '') as Record<string, unknown>;
}

function walk(value: unknown, path: string): unknown {
  if (MASKED.has(path)) return MASK;
  if (Array.isArray(value)) return value.map((v) => walk(v, `${path}[]`));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, path ? `${path}.${k}` : k);
    return out;
  }
  if (typeof value === 'string' && ORIGIN_ONLY.has(path)) {
    return URL.canParse(value) ? `${new URL(value).origin}/${MASK}` : MASK;
  }
  if (typeof value === 'string' && /(?:^|\.)url$/i.test(path)) return redactUrl(value);
  return value;
}
