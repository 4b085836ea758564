/**
 * A small pool of worker threads for CPU-bound work (XML parsing is ~75 % of a pull: perf-notes.md).
 * Work goes out in batches (one message per batch keeps the messaging cost low) to the least busy
 * thread; results come back in order. A thread that dies fails its batches and is replaced.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PermanentError } from '../errors';

export interface WorkerPoolOptions {
  /** Path of the worker script, without extension (`.js` when compiled, `.ts` from sources). */
  script: string;
  size: number;
  workerData?: unknown;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
}

/** Message protocol: `{ id, input }` out, `{ id, output } | { id, error }` back. */
export class WorkerPool<TIn, TOut> {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    for (let i = 0; i < Math.max(1, options.size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const ts = `${this.options.script}.ts`;
    const js = `${this.options.script}.js`;
    const fromSource = existsSync(ts) && !existsSync(js);
    const worker = new Worker(fromSource ? ts : js, {
      workerData: this.options.workerData,
      execArgv: fromSource ? ['--require', 'ts-node/register/transpile-only'] : [],
    });
    const slot: Slot = { worker, inFlight: 0 };
    worker.unref();
    worker.on('message', (msg: { id: number; output?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.slot.inFlight--;
      if (msg.error !== undefined) p.reject(new PermanentError('WORKER_FAILED', msg.error));
      else p.resolve(msg.output);
    });
    const fail = (why: string) => {
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(new PermanentError('WORKER_FAILED', why));
      }
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    worker.on('error', (e) => fail(`a worker thread failed: ${e.name}`));
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) fail(`a worker thread exited with code ${code}`);
    });
    return slot;
  }

  /** Runs one batch on the least busy thread. */
  run(input: TIn): Promise<TOut> {
    if (this.closed) return Promise.reject(new PermanentError('WORKER_POOL_CLOSED', 'the worker pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    slot.inFlight++;
    return new Promise<TOut>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, slot });
      slot.worker.postMessage({ id, input });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const p of this.pending.values()) p.reject(new PermanentError('WORKER_POOL_CLOSED', 'the worker pool is closed'));
    this.pending.clear();
  }
}
