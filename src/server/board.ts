/**
 * The BullMQ dashboard (bull-board) under `/queues`, in two builds over the same queues: a read-only
 * board for viewers and a writable one for operators. Job data goes through a formatter that hides any
 * sealed payload (design.md §3.6: job data holds ids and sealed payloads only; the dashboard shows
 * neither the payload nor anything it could be mistaken for).
 *
 * Some board actions are not offered at all, whatever the role, because they would lose work that was
 * accepted (design.md §3.1): adding or editing job data, emptying or obliterating a queue, cleaning
 * waiting/active/delayed jobs, and editing the job schedulers that the configuration owns.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express, RequestHandler } from 'express';

/** Keys whose values are replaced by `[sealed]` wherever they appear in job data or return values. */
export const SEALED_KEYS: ReadonlySet<string> = new Set(['sealed', 'sealedInput', 'payload']);
export const SEALED_MARK = '[sealed]';

/** A deep copy of `value` with every {@link SEALED_KEYS} key's value replaced by `[sealed]`. */
export function redactSealed(value: unknown, depth = 0): unknown {
  if (depth > 32) return SEALED_MARK; // deeper than any job we build: hide rather than walk
  if (Array.isArray(value)) return value.map((v) => redactSealed(v, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SEALED_KEYS.has(k) ? (v === undefined ? v : SEALED_MARK) : redactSealed(v, depth + 1);
  }
  return out;
}

/** The path, under `/queues`, of every board API route the gateway refuses, whatever the role. */
const REFUSED: ReadonlyArray<{ method: string; path: RegExp; why: string }> = [
  { method: 'POST', path: /^\/api\/queues\/[^/]+\/add$/, why: 'jobs are added by the gateway only' },
  { method: 'PATCH', path: /^\/api\/queues\/[^/]+\/[^/]+\/update-data$/, why: 'job data is sealed and not editable' },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/(?:empty|obliterate)$/, why: 'emptying a queue loses accepted work' },
  {
    method: 'PUT',
    path: /^\/api\/queues\/[^/]+\/clean\/(?!completed$|failed$)[^/]+$/,
    why: 'only completed or failed jobs may be cleaned',
  },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/job-schedulers\/[^/]+\/remove$/, why: 'schedules come from the configuration' },
  { method: 'PATCH', path: /^\/api\/queues\/[^/]+\/job-schedulers\/[^/]+$/, why: 'schedules come from the configuration' },
];

/** Why the gateway refuses this board request, or undefined when it is offered. */
export function refusedBoardAction(method: string, path: string): string | undefined {
  return REFUSED.find((r) => r.method === method && r.path.test(path))?.why;
}

/** Single-job removal is offered for finished jobs only (a waiting job is accepted work). */
export const JOB_CLEAN_ROUTE = /^\/api\/queues\/([^/]+)\/([^/]+)\/clean$/;

export interface Boards {
  /** Writable board (operators). */
  operator: RequestHandler;
  /** Read-only board (viewers). */
  viewer: RequestHandler;
}

export interface BoardOptions {
  queues: readonly Queue[];
  /** Where the boards are mounted (`/queues`). */
  basePath: string;
  /** Links shown in the board's menu (back to the gateway's own pages). */
  links: Array<{ text: string; url: string }>;
}

function build(queues: readonly Queue[], readOnlyMode: boolean, o: BoardOptions): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(o.basePath);
  const adapters = queues.map((q) => {
    const a = new BullMQAdapter(q, { readOnlyMode, allowRetries: !readOnlyMode });
    a.setFormatter('data', (data: unknown) => redactSealed(data));
    a.setFormatter('returnValue', (value: unknown) => redactSealed(value));
    return a;
  });
  createBullBoard({
    queues: adapters,
    // @bull-board/express ships its own copy of @bull-board/api's types (a patch version apart): the same
    // interface at run time, two declarations for the compiler.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: {
        boardTitle: readOnlyMode ? 'passerelle (read-only)' : 'passerelle',
        miscLinks: o.links,
        hideDocsLink: true,
      },
    },
  });
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by');
  return router;
}

/** Builds both boards over the same queues. */
export function createBoards(o: BoardOptions): Boards {
  return { operator: build(o.queues, false, o), viewer: build(o.queues, true, o) };
}
