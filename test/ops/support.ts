/**
 * Shared pieces of the operations tests: a Redis server of the test's own (started, stopped and started
 * again on the same port, never the shared one), a webhook receiver, dashboard users, dispatch files and
 * the local tool's counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { redisAnswers } from '../../src/queue/redis';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { hashPassword } from '../../src/config';
import type { Demande } from '../../src/domain';
import { TEST_LOCAL_TOKEN } from '../support/gateway';

/** Where the tests keep what a person looks at afterwards (screenshots): `artifacts/` (gitignored). */
export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'ops');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A `redis-server` of one test, on its own port and folder, with AOF on as production runs it. */
export interface OwnRedis {
  url: string;
  port: number;
  /** Starts it (again, on the same port and folder: the AOF brings the data back). */
  start(): Promise<void>;
  /** Kills it (SIGKILL: a crash, or a power cut with `appendfsync always`) and waits until it is gone. */
  stop(): Promise<void>;
}

export async function ownRedis(dir: string): Promise<OwnRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    if (child) return;
    const c = spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
        '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
      ],
      { stdio: 'ignore' },
    );
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(url, 500)) return;
      if (c.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    const c = child;
    if (!c) return;
    child = undefined;
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, port, start, stop };
}

/** A webhook receiver on loopback: the notifications it accepted. */
export interface Receiver<T = unknown> {
  url: string;
  received: T[];
  close(): Promise<void>;
}

export async function webhookReceiver<T = unknown>(): Promise<Receiver<T>> {
  const received: T[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ops`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const OPERATOR = { name: 'olga', password: 'operator-pass-4f9c1a' } as const;
export const VIEWER = { name: 'victor', password: 'viewer-pass-7b2e0d' } as const;

/** The `web` section of a test configuration: an operator and a viewer (scrypt at its cheapest allowed cost). */
export async function webSection(): Promise<Record<string, unknown>> {
  return {
    host: '127.0.0.1',
    port: 0,
    users: [
      { name: OPERATOR.name, passwordHash: await hashPassword(OPERATOR.password, { ln: 10 }), role: 'operator' },
      { name: VIEWER.name, passwordHash: await hashPassword(VIEWER.password, { ln: 10 }), role: 'viewer' },
    ],
  };
}

export const basicAuth = (u: { name: string; password: string }) => ({
  authorization: `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`,
});

const codec = createInterfaceNuuCodec({ elements: loadElementTable() });

/** A DIS dispatch file of these demands. */
export function dispatchXml(demandes: readonly Demande[], date = '2026-11-20T03:00:00.0+01:00'): string {
  return buildInterfaceNuu({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: date }, demandes: [...demandes] }, codec);
}

export function writeDispatch(dir: string, name: string, demandes: readonly Demande[]): void {
  writeFileSync(join(dir, name), dispatchXml(demandes));
}

export interface LocalStats {
  demandes: number;
  writes: number;
  duplicateContentWrites: number;
}

/** The local simulator's counters, over HTTP as any client would read them. */
export async function localStats(localUrl: string): Promise<LocalStats> {
  const res = await fetch(`${localUrl}/_sim/stats`, { headers: { authorization: `Bearer ${TEST_LOCAL_TOKEN}` } });
  return (await res.json()) as LocalStats;
}
