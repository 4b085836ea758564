import { ValidationError, type GatewayErrorOptions, type Issue } from '../errors';

/** Stable code of an invalid configuration. */
export const CONFIG_INVALID = 'CONFIG_INVALID';

/**
 * The configuration cannot be used: carries every problem found (path, rule, message), never a value.
 * Permanent: the daemon must not start on a half-valid configuration.
 */
export class ConfigError extends ValidationError {
  constructor(issues: Issue[], options: GatewayErrorOptions = {}) {
    super(CONFIG_INVALID, issues, { system: 'config', ...options });
  }
}
