/**
 * The gateway's logger: winston underneath, a small interface on top so that every line goes through the
 * redaction layer ({@link redactMeta}) and no caller can reach winston's raw `log` with arbitrary fields.
 *
 * JSON lines in production; one readable line per entry on a terminal. Lines go to stderr by default, so
 * that a CLI command's own output on stdout stays clean for pipes.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import { redactMeta, scrubText } from './redact';

export const LogLevel = { error: 'error', warn: 'warn', info: 'info', debug: 'debug', silent: 'silent' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** `auto`: pretty on a TTY, JSON otherwise. */
export const LogFormat = { auto: 'auto', json: 'json', pretty: 'pretty' } as const;
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/** Metadata of a line: only allow-listed keys survive (see `ALLOWED_KEYS`); `err` is rendered safely. */
export type LogMeta = Record<string, unknown>;

export interface Logger {
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
  /** A logger whose every line carries `bindings` (e.g. `{ runId, jobId, numUnique }` for a job). */
  child(bindings: LogMeta): Logger;
  /** Resolves once every line logged so far has been handed to the stream. */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Destination; `process.stderr` by default. Tests pass a memory stream. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Fields on every line (e.g. `{ service: 'passerelle', role: 'worker' }`), allow-listed too. */
  base?: LogMeta;
  /** Clock of the timestamps (tests). */
  now?: () => Date;
}

const SEVERITY = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type EmitLevel = keyof typeof SEVERITY;

const COLOURS: Record<EmitLevel, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[36m', debug: '\x1b[90m' };

/** Counts lines written to the destination, so `flush()` knows when everything has left. */
class CountingSink extends Writable {
  written = 0;
  private waiters: { target: number; resolve: () => void }[] = [];

  constructor(private readonly dest: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  override _write(chunk: unknown, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.dest.write(chunk as string, () => {
      // A failing destination must not stop the gateway: the line is lost, the count still advances.
      this.written++;
      this.waiters = this.waiters.filter((w) => (this.written >= w.target ? (w.resolve(), false) : true));
      done();
    });
  }

  waitFor(target: number): Promise<void> {
    if (this.written >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }
}

interface Core {
  threshold: number;
  submit(level: EmitLevel, message: string, fields: LogMeta): void;
  flush(): Promise<void>;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function createCore(options: LoggerOptions): Core {
  const dest = options.stream ?? process.stderr;
  const format = options.format === 'auto' || options.format === undefined ? (dest.isTTY ? 'pretty' : 'json') : options.format;
  const colour = format === 'pretty' && dest.isTTY === true;
  const now = options.now ?? (() => new Date());
  const level = options.level ?? 'info';
  const sink = new CountingSink(dest);
  let submitted = 0;

  const line = winston.format.printf((info) => {
    const lvl = info.level as EmitLevel;
    const fields = (info.fields ?? {}) as LogMeta;
    const time = info.time as string;
    if (format === 'json') return JSON.stringify({ time, level: lvl, message: info.message, ...fields });
    const tag = lvl.toUpperCase().padEnd(5);
    const shown = colour ? `${COLOURS[lvl]}${tag}\x1b[0m` : tag;
    const rest = Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`);
    return [time, shown, String(info.message), ...rest].join(' ');
  });

  const w = winston.createLogger({
    levels: SEVERITY,
    level: 'debug', // filtering happens before redaction, in `submit`'s callers
    format: line,
    transports: [new winston.transports.Stream({ stream: sink })],
    exitOnError: false,
  });

  return {
    threshold: level === 'silent' ? -1 : SEVERITY[level],
    submit(lvl, message, fields) {
      submitted++;
      w.log({ level: lvl, message: scrubText(message), time: now().toISOString(), fields });
    },
    flush() {
      return sink.waitFor(submitted);
    },
  };
}

/** Bindings then meta (meta wins), both already redacted; their counts of dropped keys add up. */
function merge(bindings: LogMeta, meta: LogMeta): LogMeta {
  const merged = { ...bindings, ...meta };
  const dropped = Number(bindings.redacted ?? 0) + Number(meta.redacted ?? 0);
  if (dropped) merged.redacted = dropped;
  return merged;
}

function makeLogger(core: Core, bindings: LogMeta): Logger {
  const emit = (lvl: EmitLevel) => (message: string, meta?: LogMeta) => {
    if (SEVERITY[lvl] > core.threshold) return;
    core.submit(lvl, message, meta === undefined ? bindings : merge(bindings, redactMeta(meta)));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => makeLogger(core, merge(bindings, redactMeta(more))),
    flush: () => core.flush(),
  };
}

/** Creates a logger; see {@link LoggerOptions}. Each call has its own winston instance (no singleton). */
export function createLogger(options: LoggerOptions = {}): Logger {
  return makeLogger(createCore(options), redactMeta(options.base ?? {}));
}
