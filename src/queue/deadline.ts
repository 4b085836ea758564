/**
 * Waits for something that may never end (BullMQ's `worker.close()` has no deadline of its own: it waits
 * for the active jobs) at most `deadlineMs`; true when the deadline won.
 */
export async function timedOut(work: Promise<unknown>, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
        timer.unref();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
