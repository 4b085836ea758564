/**
 * A recording reverse proxy on loopback, put between the gateway and a simulator: it notes when each
 * request arrived and what was answered (status, `Retry-After`), so that a trial can check that the
 * gateway waited as long as it was asked to; and it can spoil the XML of the next answers (a
 * well-framed HTTP answer whose XML is broken), which the simulators' own faults do not do.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  path: string;
  /** When the request reached the proxy, and when its answer was complete (epoch ms). */
  startedAt: number;
  endedAt: number;
  status: number;
  retryAfterSeconds?: number;
  /** What the request was about, when the proxy was given a way to tell (numéros uniques). */
  keys?: string[];
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  /** Rewrites the bodies of the next `count` answers with status 200. */
  spoilNext(count: number, spoil: (body: Buffer) => Buffer): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string, keysOf?: (body: Buffer, path: string) => string[] | undefined): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];
  const spoilers: Array<(body: Buffer) => Buffer> = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const startedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const keys = keysOf?.(body, (req.url ?? '').split('?')[0] ?? '');
      const tag = keys === undefined ? {} : { keys };
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('error', () => res.destroy());
          answer.on('end', () => {
            let out: Buffer = Buffer.concat(parts);
            const status = answer.statusCode ?? 502;
            if (status === 200 && spoilers.length) out = (spoilers.shift() as (b: Buffer) => Buffer)(out);
            const retryAfter = answer.headers['retry-after'];
            exchanges.push({
              method: req.method ?? '',
              path: (req.url ?? '').split('?')[0] ?? '',
              startedAt,
              endedAt: Date.now(),
              status,
              ...tag,
              ...(retryAfter !== undefined && /^\d+$/.test(String(retryAfter)) ? { retryAfterSeconds: Number(retryAfter) } : {}),
            });
            const headers = { ...answer.headers, 'content-length': String(out.length) };
            delete headers['transfer-encoding'];
            res.writeHead(status, headers);
            res.end(out);
          });
        },
      );
      // A simulator that cuts or holds the connection: the gateway sees the same through the proxy.
      up.on('error', () => {
        exchanges.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', startedAt, endedAt: Date.now(), status: 0, ...tag });
        res.destroy();
      });
      // The gateway gave up (its timeout): the simulator sees the connection go too.
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    spoilNext: (count, spoil) => {
      for (let i = 0; i < count; i++) spoilers.push(spoil);
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Requests that came sooner than a `Retry-After` allowed: after an answer with `Retry-After: R` ended
 * at `t`, a request of the same scope (same path; any path with `scope: 'target'`; a demand in common
 * with `scope: 'key'`) that started in
 * `(t + graceMs, t + R s - graceMs)` is a violation. The grace covers requests already on their way
 * when the answer left.
 */
export function retryAfterViolations(
  exchanges: readonly Exchange[],
  scope: 'path' | 'target' | 'key',
  graceMs = 100,
): { asked: number; violations: Exchange[]; first?: string } {
  const asked = exchanges.filter((e) => e.retryAfterSeconds !== undefined && e.retryAfterSeconds > 0);
  const violations: Exchange[] = [];
  let first: string | undefined;
  for (const a of asked) {
    const until = a.endedAt + (a.retryAfterSeconds ?? 0) * 1000 - graceMs;
    for (const e of exchanges) {
      if (scope === 'path' && e.path !== a.path) continue;
      if (scope === 'key' && !(a.keys ?? []).some((k) => e.keys?.includes(k))) continue;
      if (e.startedAt > a.endedAt + graceMs && e.startedAt < until) {
        violations.push(e);
        first ??= `${e.method} ${e.startedAt - a.endedAt} ms after a ${a.status} ${a.method} with Retry-After ${a.retryAfterSeconds ?? 0}`;
      }
    }
  }
  return { asked: asked.length, violations, ...(first ? { first } : {}) };
}
