/**
 * HTTP transport to the SNE: POSTs a built request to `<url>/services/DemandeLogementImplService/` over
 * HTTPS with mutual TLS and a keep-alive agent, with a per-call timeout, and returns the parsed answer or
 * throws a classified `GatewayError` (see `classifySneFailure`). Axios errors never leave this module:
 * only codes, flags and the HTTP status are kept.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { PermanentError } from '../../../errors';
import { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES, SNE_ENDPOINT_PATH } from './constants';
import { classifySneFailure, describeHttpClientError } from './classify';
import { SneErrorCode, SNE_SYSTEM } from './errors';
import { buildSneRequest, type SneMessageIds, type SneRequest, type SneRequestInput } from './request';
import { parseSneResponse, readFaultIfAny, type SneSuccess } from './response';

/**
 * TLS material: each value is a Buffer (the PEM itself), a string holding a PEM (`-----BEGIN`), or a
 * path to a PEM file (read once, when the transport is created).
 */
export interface SneTlsOptions {
  /** Client certificate (chain) presented to the service. */
  cert: string | Buffer;
  /** Its private key. */
  key: string | Buffer;
  /** CA(s) trusted for the service's certificate; the system CAs when absent. */
  ca?: string | Buffer;
  passphrase?: string;
}

export interface SneTransportOptions {
  /** Base URL of the service (scheme, host, port), e.g. `https://nuu-ws.example.gouv.fr`. */
  url: string;
  /** Mutual TLS material; ignored when `httpsAgent` is given. */
  tls?: SneTlsOptions;
  /** Default per-call timeout in milliseconds (default 60 000). */
  timeoutMs?: number;
  /** An agent to use instead of the transport's own (its TLS settings apply); never destroyed by `close()`. */
  httpsAgent?: http.Agent;
  /** Current time in epoch milliseconds, to read `Retry-After` dates (default `Date.now`). */
  clock?: () => number;
  /** Largest answer accepted (default 64 MiB). */
  maxResponseBytes?: number;
  /** Path of the service under the base URL (default the SNE's); an SPTA's profile may name its own. */
  endpointPath?: string;
  /** Namespace of the operation elements and SOAP actions (default the SNE's); idem. */
  serviceNamespace?: string;
}

export interface SneCallOptions {
  /** Overrides the transport's timeout for this call. */
  timeoutMs?: number;
  /** Aborts the call (e.g. on shutdown); an abort after a write was sent is ambiguous. */
  signal?: AbortSignal;
  /** Passed to `buildSneRequest` by `call`. */
  ids?: Partial<SneMessageIds>;
}

export interface SneTransport {
  /** The full URL requests are POSTed to. */
  readonly endpoint: string;
  /** The client certificate PEM from `tls.cert` (what the `certificat` part usually carries), if any. */
  readonly clientCertificate: Buffer | undefined;
  /** Builds the request of `input`, sends it and returns the answer's payload; throws a classified error. */
  call(input: SneRequestInput, options?: SneCallOptions): Promise<SneSuccess>;
  /** Sends an already built request. */
  send(request: SneRequest, options?: SneCallOptions): Promise<SneSuccess>;
  /** Releases the keep-alive sockets of the transport's own agent. Idempotent. */
  close(): void;
}

function configError(message: string, details: Record<string, string> = {}): PermanentError {
  return new PermanentError(SneErrorCode.transportConfig, message, { system: SNE_SYSTEM, details });
}

function material(value: string | Buffer, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value.includes('-----BEGIN')) return Buffer.from(value, 'utf8');
  try {
    return readFileSync(value);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw configError(`cannot read the TLS ${what} file (${code})`, { path: value, code });
  }
}

function headerValue(headers: unknown, name: string): string | undefined {
  const v = (headers as Record<string, unknown> | undefined)?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(', ');
  return typeof v === 'number' ? String(v) : undefined;
}

/** Creates a transport. Throws `SNE_TRANSPORT_CONFIG` (permanent) on a bad URL or unreadable TLS files. */
export function createSneTransport(options: SneTransportOptions): SneTransport {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw configError('the SNE URL is not a valid URL');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw configError('the SNE URL must be http(s)');
  const endpointPath = options.endpointPath ?? SNE_ENDPOINT_PATH;
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(endpointPath)) throw configError('the endpoint path must start with / and hold only URL path characters');
  const endpoint = `${base.origin}${base.pathname.replace(/\/+$/, '')}${endpointPath}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const clock = options.clock ?? Date.now;

  let clientCertificate: Buffer | undefined;
  let agent: http.Agent;
  const ownAgent = options.httpsAgent === undefined;
  if (options.httpsAgent) {
    agent = options.httpsAgent;
  } else if (base.protocol === 'https:') {
    const tls = options.tls;
    clientCertificate = tls ? material(tls.cert, 'certificate') : undefined;
    agent = new https.Agent({
      keepAlive: true,
      ...(tls
        ? {
            cert: clientCertificate,
            key: material(tls.key, 'key'),
            ...(tls.ca === undefined ? {} : { ca: material(tls.ca, 'CA') }),
            ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
          }
        : {}),
    });
  } else {
    if (options.tls) throw configError('TLS material given for an http:// SNE URL');
    agent = new http.Agent({ keepAlive: true });
  }
  if (options.httpsAgent && options.tls) clientCertificate = material(options.tls.cert, 'certificate');

  const client: AxiosInstance = axios.create({
    httpAgent: agent,
    httpsAgent: agent,
    // The SNE is reached directly: axios's proxy support does not tunnel mutual TLS reliably.
    proxy: false,
    maxRedirects: 0,
    responseType: 'arraybuffer',
    validateStatus: () => true,
    maxContentLength: maxBytes,
    maxBodyLength: DEFAULT_MAX_REQUEST_BYTES,
    decompress: true,
  });
  let closed = false;

  async function send(request: SneRequest, callOptions: SneCallOptions = {}): Promise<SneSuccess> {
    const operation = request.operation;
    if (closed) throw configError('the SNE transport is closed');
    let res;
    try {
      res = await client.post<Buffer>(endpoint, request.body, {
        headers: { ...request.headers, Accept: 'multipart/related, application/soap+xml, text/xml' },
        timeout: callOptions.timeoutMs ?? timeoutMs,
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
    } catch (e) {
      throw classifySneFailure(describeHttpClientError(e), { operation, now: new Date(clock()) });
    }
    const body = Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data as ArrayBuffer);
    const contentType = headerValue(res.headers, 'content-type');
    const ctx = { operation, now: new Date(clock()) };
    if (res.status >= 200 && res.status < 300) {
      const parsed = parseSneResponse(contentType, body, { operation, maxBytes });
      if (parsed.kind === 'fault') throw classifySneFailure({ kind: 'fault', fault: parsed.fault }, ctx);
      return parsed;
    }
    const fault = res.status === 429 || res.status === 503 ? undefined : readFaultIfAny(contentType, body, maxBytes);
    throw classifySneFailure(
      { kind: 'http', status: res.status, retryAfter: headerValue(res.headers, 'retry-after'), ...(fault ? { fault } : {}) },
      ctx,
    );
  }

  return {
    endpoint,
    clientCertificate,
    send,
    call: (input, callOptions = {}) =>
      send(
        buildSneRequest(input, {
          ...(callOptions.ids ? { ids: callOptions.ids } : {}),
          ...(options.serviceNamespace === undefined ? {} : { serviceNamespace: options.serviceNamespace }),
        }),
        callOptions,
      ),
    close(): void {
      if (closed) return;
      closed = true;
      if (ownAgent) agent.destroy();
    },
  };
}
