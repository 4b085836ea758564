/**
 * The local side of the demo: once the initial sync is done, a steady stream of synthetic events
 * (src/synthetic/events) is recorded in the local tool, so the push pipeline has work in the demo too.
 *
 * One event per tick, at `ratePerSecond`, in the generator's order (so each demand's events keep their
 * order in the local feed). The stream must never bring the demo down: a post that fails is logged and
 * the same event is posted again at the next tick (its id makes a resend harmless); an event the local
 * tool refuses for good (422) is logged and skipped. When every demand has left the play the stream
 * stops by itself. Logs name events by id, type and numéro unique, never their content.
 */
import type { Demande } from '../domain';
import { isGatewayError } from '../errors';
import type { Logger } from '../logging';
import type { MappingTables } from '../mapping';
import { iterateEvenements, type IrrecevabiliteFollowUp, type Seed, type SyntheticEvenement } from '../synthetic';
import { LocalErrorCode, type LocalClient } from '../systems/local';

export interface EventStreamOptions {
  local: Pick<LocalClient, 'postEvenement'>;
  /** The demands the events are about (the synced stock); radiated ones and those without numUnique are left out. */
  demandes: readonly Demande[];
  /** Events posted per second (default 2). */
  ratePerSecond?: number;
  seed: Seed;
  mappings: MappingTables;
  logger: Logger;
  /** Share of events the mapping rejects, for the dead-letter screens (default 0). */
  invalidShare?: number;
  /** When the first event occurs (default: now). */
  start?: Date;
  /** Demands in play at once (default 64, see `EvenementsOptions.concurrent`). */
  concurrent?: number;
  /** Who radiates a non-receivable demand (default `event`, see `IrrecevabiliteFollowUp`). */
  irrecevabiliteFollowUp?: IrrecevabiliteFollowUp;
  now?: () => Date;
}

export interface EventStream {
  /** Stops posting and waits for the post in flight; idempotent. */
  stop(): Promise<void>;
  /** Events the local tool has recorded so far (a resend it already had counts once). */
  posted(): number;
}

/** Starts posting at once; invalid options throw before anything is posted. */
export function startEventStream(options: EventStreamOptions): EventStream {
  const rate = options.ratePerSecond ?? 2;
  if (!(rate > 0 && rate <= 1000)) throw new RangeError('ratePerSecond must be more than 0 and at most 1000');
  const now = options.now ?? (() => new Date());
  const events = iterateEvenements({
    seed: options.seed,
    demandes: options.demandes,
    start: options.start ?? now(),
    mappings: options.mappings,
    ...(options.invalidShare === undefined ? {} : { invalidShare: options.invalidShare }),
    ...(options.concurrent === undefined ? {} : { concurrent: options.concurrent }),
    ...(options.irrecevabiliteFollowUp === undefined ? {} : { irrecevabiliteFollowUp: options.irrecevabiliteFollowUp }),
  });
  const log = options.logger.child({ component: 'event-stream' });

  let posted = 0;
  let pending: SyntheticEvenement | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  async function post(event: SyntheticEvenement): Promise<void> {
    try {
      await options.local.postEvenement(event);
      posted++;
      pending = undefined;
      if (failures > 0) log.info('event stream: posting again', { failed: failures, eventId: event.id });
      failures = 0;
    } catch (e) {
      const meta = { eventId: event.id, eventType: event.type, numUnique: event.numUnique, err: e };
      // A refusal of the event itself (422) will not change at the next tick: skip it.
      if (isGatewayError(e) && e.code === LocalErrorCode.rejected) {
        log.error('event stream: the local tool refused a synthetic event; skipped', meta);
        pending = undefined;
        return;
      }
      failures++;
      // One line when a streak starts, then one every 60 failures: a long outage must not flood the logs.
      if (failures === 1 || failures % 60 === 0) log.warn('event stream: post failed; tried again at the next tick', { ...meta, attempts: failures });
    }
  }

  function tick(): void {
    if (stopped || inFlight !== undefined) return;
    if (pending === undefined) {
      const next = events.next();
      if (next.done) {
        log.info('event stream: every demand has left the play; no more events', { count: posted });
        stopped = true;
        clearInterval(timer);
        return;
      }
      pending = next.value;
    }
    inFlight = post(pending).finally(() => {
      inFlight = undefined;
    });
  }

  const timer = setInterval(tick, Math.max(1, Math.round(1000 / rate)));
  timer.unref();
  log.info('event stream started', { count: options.demandes.length });

  return {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await inFlight;
        log.info('event stream stopped', { count: posted });
      })();
      return stopping;
    },
    posted: () => posted,
  };
}
