/**
 * Starts an HTTP(S) server for a simulator and gives back its URL and an idempotent `close()`.
 *
 * `close()` stops accepting connections, closes idle keep-alive sockets at once (clients keep them
 * open otherwise and `server.close()` would wait for them), gives requests still running `graceMs` to
 * finish, then destroys whatever is left (for instance a socket a fault holds open on purpose).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** TLS material; `requestCert` with `ca` turns on mutual TLS (client certificates checked against `ca`). */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  requestCert?: boolean;
  /** Defaults to true when `requestCert` is set: a client without a valid certificate is refused. */
  rejectUnauthorized?: boolean;
}

export interface HttpServerOptions {
  /** An express app or any Node request listener. `app` and `handler` are synonyms; give one. */
  app?: http.RequestListener;
  handler?: http.RequestListener;
  /** 0 (the default) picks a free ephemeral port. */
  port?: number;
  /** Defaults to loopback: simulators never listen on other interfaces unless told to. */
  host?: string;
  tls?: TlsOptions;
  /** How long `close()` lets requests still running finish before destroying their sockets. */
  graceMs?: number;
  /** Called first by `close()`, for the caller's own cleanup (held sockets, timers). */
  beforeClose?: () => void;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  host: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const listener = options.app ?? options.handler;
  if (listener === undefined) throw new Error('startHttpServer: give an app or a handler');
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.graceMs ?? 1000;
  const tls = options.tls;
  const server: http.Server = tls
    ? https.createServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          requestCert: tls.requestCert ?? false,
          rejectUnauthorized: tls.rejectUnauthorized ?? tls.requestCert ?? false,
        },
        listener,
      )
    : http.createServer(listener);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      options.beforeClose?.();
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
      if (graceMs <= 0) server.closeAllConnections();
    });
    return closing;
  };

  return { url, port, host, server, close };
}
