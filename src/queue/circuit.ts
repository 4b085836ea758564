/**
 * A circuit breaker per target, kept in Redis so that every worker process shares it. After
 * `failureThreshold` transient failures in a row it opens for `openMs`; then one probe is let through
 * (half-open): a success closes it, a failure opens it again. Transitions are decided in Lua, so exactly
 * one process sees each change and alerts once.
 */
import type { Redis } from 'ioredis';
import { TransientError } from '../errors';
import type { Keys } from './keys';

export const CircuitState = { closed: 'closed', open: 'open', halfOpen: 'half-open' } as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export interface CircuitOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
  /** Called once per transition, by the process that made it. */
  onChange?: (target: string, from: CircuitState, to: CircuitState) => void;
}

// KEYS[1] circuit hash. ARGV: op, now, threshold, openMs. Returns {from, to} (equal when no change).
const SCRIPT = `
local st = redis.call('HGET', KEYS[1], 'state') or 'closed'
local op, now = ARGV[1], tonumber(ARGV[2])
if op == 'check' then
  if st == 'open' then
    local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
    if now < untilMs then return {st, st, untilMs} end
    redis.call('HSET', KEYS[1], 'state', 'half-open', 'probeAt', now)
    return {st, 'half-open', 0}
  end
  if st == 'half-open' then
    local probeAt = tonumber(redis.call('HGET', KEYS[1], 'probeAt') or '0')
    if now - probeAt < tonumber(ARGV[4]) then return {st, 'open', probeAt + tonumber(ARGV[4])} end
    redis.call('HSET', KEYS[1], 'probeAt', now)
  end
  return {st, st, 0}
elseif op == 'success' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
  return {st, 'closed', 0}
else
  local f = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  if st == 'half-open' or (st == 'closed' and f >= tonumber(ARGV[3])) then
    local untilMs = now + tonumber(ARGV[4])
    redis.call('HSET', KEYS[1], 'state', 'open', 'until', untilMs)
    return {st, 'open', untilMs}
  end
  return {st, st, 0}
end`;

type Eval = (key: string, op: string, now: number, threshold: number, openMs: number) => Promise<[string, string, number]>;

export class Circuit {
  private readonly now: () => number;
  private readonly run: Eval;

  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly options: CircuitOptions) {
    this.now = options.now ?? Date.now;
    redis.defineCommand('passerelleCircuit', { numberOfKeys: 1, lua: SCRIPT });
    const r = redis as Redis & { passerelleCircuit: Eval };
    this.run = (...a) => r.passerelleCircuit(...a);
  }

  private async op(target: string, op: 'check' | 'success' | 'failure'): Promise<[CircuitState, CircuitState, number]> {
    const [from, to, until] = await this.run(this.keys.circuit(target), op, this.now(), this.options.failureThreshold, this.options.openMs);
    const f = from as CircuitState;
    const t = (op === 'check' && to === 'open' && from === 'half-open' ? from : to) as CircuitState;
    if (f !== t) this.options.onChange?.(target, f, t);
    return [f, to as CircuitState, Number(until)];
  }

  /** Throws a transient CIRCUIT_OPEN (with the time left as Retry-After) while the circuit is open. */
  async check(target: string): Promise<void> {
    const [, to, until] = await this.op(target, 'check');
    if (to === CircuitState.open) {
      const seconds = Math.max(1, Math.ceil((until - this.now()) / 1000));
      throw new TransientError('CIRCUIT_OPEN', `circuit to ${target} is open; next try in ${seconds}s`, {
        system: target,
        retryAfterSeconds: seconds,
      });
    }
  }

  async success(target: string): Promise<void> {
    await this.op(target, 'success');
  }

  async failure(target: string): Promise<void> {
    await this.op(target, 'failure');
  }

  async state(target: string): Promise<CircuitState> {
    return ((await this.redis.hget(this.keys.circuit(target), 'state')) as CircuitState | null) ?? CircuitState.closed;
  }
}
