/** Low-level HTTP helpers for the simulator tests: they show what really reached the socket. */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up (and fail with `TIMEOUT`) after this long. */
  timeoutMs?: number;
  agent?: http.Agent | false;
  tls?: https.RequestOptions;
}

/**
 * Sends one request with a fresh connection and resolves with the full answer, or rejects with the
 * socket error (`ECONNRESET`, `socket hang up`, `aborted`, `TIMEOUT`).
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const url = new URL(req.path, baseUrl);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (req.token !== null) headers.Authorization = `Bearer ${req.token ?? 'test-token'}`;
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = lib.request(
      url,
      { method: req.method ?? 'GET', headers, agent: req.agent ?? false, ...(req.tls ?? {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (!res.complete) reject(Object.assign(new Error('aborted'), { code: 'ABORTED' }));
          else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ABORTED' })));
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    if (req.timeoutMs !== undefined) {
      request.setTimeout(req.timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    }
    request.end(payload);
  });
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `passerelle-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The throwaway TLS material of `test/simulators/fixtures/tls`. */
export function tlsFixtures(): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const dir = path.join(__dirname, '..', 'fixtures', 'tls');
  const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
  return {
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
  };
}
