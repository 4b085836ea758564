/**
 * Dispatch files (`DIS`, domain.md §3): the SNE sends the demands of the territory as files dropped in a
 * folder. This source scans the folder, reads each complete file demand by demand with bounded memory
 * (a 300,000-demand file is ~1.5 GB), and hands pages of parsed demands to the pull pipeline.
 *
 * - A file is read only once it is complete: not a dot-file or `.tmp`/`.part`, and unchanged for
 *   `stableMs` (writers do not always rename atomically).
 * - A file already processed (same content hash) is not processed twice: it goes straight to `done/`.
 * - The cursor is `{file hash, next index}`: a crash resumes the file where its last committed page ended.
 * - A file that is not readable XML goes to `rejected/` with a reason file beside it; the demands read
 *   before the fault stay taken in.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, writeFile, copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Redis } from 'ioredis';
import { CodecError, type InterfaceNuuCodec, type StreamItem } from '../../codec';
import { toSafeError } from '../../errors';
import type { Logger } from '../../logging';
import type { Keys } from '../../queue/keys';
import type { FragmentParser } from '../parse-pool';
import type { PulledRecord, PullSource, SourcePage } from '../pull';

export interface DispatchSourceOptions {
  id?: string;
  system?: string;
  dropDir: string;
  doneDir: string;
  rejectedDir: string;
  stableMs: number;
  codec: InterfaceNuuCodec;
  parser: FragmentParser;
  redis: Redis;
  keys: Keys;
  logger: Logger;
  pageSize?: number;
  batchSize?: number;
  now?: () => number;
}

interface DispatchCursor {
  file: string;
  next: number;
}

/** What the registry of processed files keeps (no personal data). */
export interface ProcessedFile {
  name: string;
  hash: string;
  at: string;
  demandes: number;
  problems: number;
}

const IGNORED = /^\.|\.(tmp|part|partial|crdownload|swp)$/i;

/** Lists the complete files of the drop folder, oldest name first. */
export async function completeFiles(dir: string, stableMs: number, now: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (IGNORED.test(name)) continue;
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (!s?.isFile()) continue;
    if (now - s.mtimeMs < stableMs) continue;
    out.push(name);
  }
  return out;
}

export async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Moves a file, keeping any file already there under the same name. */
async function moveFile(from: string, toDir: string): Promise<string> {
  await mkdir(toDir, { recursive: true });
  let to = join(toDir, basename(from));
  if (await stat(to).catch(() => undefined)) to = join(toDir, `${Date.now()}-${basename(from)}`);
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    await unlink(from);
  }
  return to;
}

export function createDispatchSource(options: DispatchSourceOptions): PullSource {
  const id = options.id ?? 'dispatch';
  const pageSize = options.pageSize ?? 500;
  const batchSize = options.batchSize ?? 100;
  const now = options.now ?? Date.now;
  const log = options.logger.child({ source: id });

  async function parsePage(items: StreamItem[], sourceAt: string | undefined, file: string): Promise<PulledRecord[]> {
    const batches: Array<Promise<PulledRecord[]>> = [];
    for (let i = 0; i < items.length; i += batchSize) {
      const batch = items.slice(i, i + batchSize);
      batches.push(
        options.parser.parse(batch).then((parsed) =>
          parsed.map(({ result, hash, json, numUnique, rawHash }, j) => ({
            result: result.ok ? result : { ok: false as const, issues: result.issues, ...(result.numUnique ? { numUnique: result.numUnique } : {}) },
            ...(hash ? { hash } : {}),
            ...(json ? { json } : {}),
            ...(numUnique ? { numUnique } : {}),
            ...(sourceAt ? { sourceAt } : {}),
            file,
            index: batch[j]!.index,
            rawHash,
            ...(result.ok ? {} : { raw: batch[j]!.xml }),
          })),
        ),
      );
    }
    return (await Promise.all(batches)).flat();
  }

  async function* pagesOfFile(name: string, cursor: DispatchCursor | undefined): AsyncGenerator<SourcePage> {
    const path = join(options.dropDir, name);
    const hash = await fileHash(path);
    if ((await options.redis.hexists(options.keys.dispatchFiles, hash)) === 1) {
      await moveFile(path, options.doneDir);
      log.info('dispatch file already processed: moved to done without reading it again', { file: name, hash });
      return;
    }
    const skip = cursor?.file === hash ? cursor.next : 0;
    const stream = options.codec.stream(createReadStream(path));
    const started = Date.now();
    let sourceAt: string | undefined;
    let count = 0;
    let items: StreamItem[] = [];
    // Pages are parsed ahead (in worker threads) while the previous one is taken in.
    const inFlight: Array<Promise<SourcePage>> = [];
    const pageOf = (batch: StreamItem[], next: number): Promise<SourcePage> => {
      const p = parsePage(batch, sourceAt, name).then((records) => ({
        records,
        cursor: JSON.stringify({ file: hash, next } satisfies DispatchCursor),
      }));
      p.catch(() => undefined); // awaited below; this only marks it handled while it waits its turn
      return p;
    };
    let failure: unknown;
    try {
      for await (const item of stream) {
        count = item.index + 1;
        if (item.index < skip) continue;
        sourceAt ??= item.entete.dateFichier;
        items.push(item);
        if (items.length >= pageSize) {
          inFlight.push(pageOf(items, item.index + 1));
          items = [];
          if (inFlight.length >= 2) yield await inFlight.shift()!;
        }
      }
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      failure = e;
    }
    if (items.length) inFlight.push(pageOf(items, count));
    while (inFlight.length > 1) yield await inFlight.shift()!;
    const last: SourcePage = inFlight.length ? await inFlight.shift()! : { records: [], cursor: JSON.stringify({ file: hash, next: count }) };

    if (failure) {
      const safe = toSafeError(failure);
      yield {
        ...last,
        onCommitted: async () => {
          const to = await moveFile(path, options.rejectedDir);
          await writeFile(
            `${to}.reason.json`,
            JSON.stringify({ file: name, hash, at: new Date(now()).toISOString(), error: safe, demandesTakenIn: count }, null, 2),
          );
          log.warn('dispatch file rejected', { file: name, code: safe.code, count });
        },
      };
      return;
    }
    yield {
      ...last,
      onCommitted: async () => {
        const entry: ProcessedFile = { name, hash, at: new Date(now()).toISOString(), demandes: count, problems: stream.problems.length };
        await options.redis.hset(options.keys.dispatchFiles, hash, JSON.stringify(entry));
        await moveFile(path, options.doneDir);
        log.info('dispatch file processed', { file: name, count, durationMs: Date.now() - started, problems: stream.problems.length });
      },
    };
  }

  return {
    id,
    system: options.system ?? 'sne',
    async *pages(cursorValue) {
      const cursor = cursorValue ? (JSON.parse(cursorValue) as DispatchCursor) : undefined;
      for (const name of await completeFiles(options.dropDir, options.stableMs, now())) {
        yield* pagesOfFile(name, cursor);
      }
    },
  };
}
