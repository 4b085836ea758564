/**
 * MIME pieces of XOP/MTOM messages: media-type headers with parameters, and `multipart/related` bodies
 * (RFC 2046 §5.1, RFC 2387). Header names and parameter names are matched case-insensitively, since
 * peers write `Content-ID` as well as `Content-Id`. In strict mode (used to check requests the way the
 * service would) line ends must be CRLF; in lenient mode (used for responses) bare LF is tolerated.
 */
import { WireFormatError } from './errors';

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  type: string;
  /** Parameters by lower-cased name (values as written, unquoted). */
  params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

function matchToken(s: string, at: number): string | undefined {
  TOKEN.lastIndex = at;
  return TOKEN.exec(s)?.[0];
}

/** Parses `type/subtype; name=value; name="quoted value"`. Throws `WireFormatError` when malformed. */
export function parseMediaType(value: string, what = 'Content-Type'): MediaType {
  const s = value.trim();
  function bad(detail: string): never {
    throw new WireFormatError('contentType.malformed', `${what} is malformed: ${detail}`);
  }
  const type = matchToken(s, 0);
  if (!type || s[type.length] !== '/') bad('no type/subtype');
  const subtype = matchToken(s, type.length + 1);
  if (!subtype) bad('no subtype');
  let i = type.length + 1 + subtype.length;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  for (;;) {
    skipWs();
    if (i >= s.length) break;
    if (s[i] !== ';') bad('parameters must be separated by ";"');
    i++;
    skipWs();
    if (i >= s.length) break;
    const name = matchToken(s, i);
    if (!name) bad('a parameter without a name');
    i += name.length;
    skipWs();
    if (s[i] !== '=') bad(`parameter ${name.toLowerCase()} has no "="`);
    i++;
    skipWs();
    let v = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) bad(`unterminated quoted value of parameter ${name.toLowerCase()}`);
        const c = s[i] as string;
        if (c === '"') break;
        if (c === '\\' && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
        } else {
          v += c;
          i++;
        }
      }
      i++;
    } else {
      // Lenient on unquoted values (`start=<root@x>` is common although `<` is not a token character).
      const start = i;
      while (i < s.length && s[i] !== ';' && s[i] !== ' ' && s[i] !== '\t') i++;
      v = s.slice(start, i);
      if (!v) bad(`parameter ${name.toLowerCase()} has an empty value`);
    }
    const key = name.toLowerCase();
    if (key in params) bad(`parameter ${key} is repeated`);
    params[key] = v;
  }
  return { type: `${type}/${subtype}`.toLowerCase(), params };
}

/** A Content-ID without its angle brackets: `<a@b>` and `a@b` name the same part. */
export function normaliseContentId(value: string): string {
  const v = value.trim();
  return v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1).trim() : v;
}

export interface MimePart {
  /** Headers by lower-cased name. */
  headers: Readonly<Record<string, string>>;
  contentType: string | undefined;
  /** Content-ID without angle brackets. */
  contentId: string | undefined;
  /** Content-Transfer-Encoding, lower-cased ('' when absent). */
  transferEncoding: string;
  /** The body, transfer encoding undone. */
  body: Buffer;
  /** 1-based position of the part in the message, for error messages. */
  index: number;
}

export interface MultipartOptions {
  /** CRLF only, no repeated part headers (default false). */
  strict?: boolean;
  /** Most parts accepted (default 16). */
  maxParts?: number;
}

const CRLF = Buffer.from('\r\n');

function isBoundaryEnd(body: Buffer, at: number): boolean {
  // After a delimiter: `--`, transport padding, CR or LF, or the end of the body (then: truncated).
  const c = body[at];
  return c === undefined || c === 0x2d || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function findDelimiter(body: Buffer, dash: Buffer, from: number, strict: boolean): { at: number; lineEnd: number } | undefined {
  // A delimiter is `--boundary` at the start of a line, preceded by CRLF (or LF when lenient).
  let k = body.indexOf(dash, from);
  while (k !== -1) {
    if (isBoundaryEnd(body, k + dash.length)) {
      if (k >= 2 && body[k - 2] === 0x0d && body[k - 1] === 0x0a) return { at: k, lineEnd: 2 };
      if (k >= 1 && body[k - 1] === 0x0a) {
        if (strict) throw new WireFormatError('multipart.crlf', 'multipart line ends must be CRLF, found a bare LF before a boundary');
        return { at: k, lineEnd: 1 };
      }
    }
    k = body.indexOf(dash, k + 1);
  }
  return undefined;
}

function parseHeaders(block: string, index: number, strict: boolean): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  if (strict && /(^|[^\r])\n/.test(block)) {
    throw new WireFormatError('multipart.crlf', `part ${index}: header line ends must be CRLF`);
  }
  const lines: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && lines.length) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  for (const line of lines) {
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) throw new WireFormatError('part.header', `part ${index}: a header line is malformed`);
    const name = (m[1] as string).toLowerCase();
    if (name in headers && strict) throw new WireFormatError('part.header', `part ${index}: header ${name} is repeated`);
    if (!(name in headers)) headers[name] = m[2] as string;
  }
  return headers;
}

function decodeBody(raw: Buffer, encoding: string, index: number): Buffer {
  switch (encoding) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return raw;
    case 'base64': {
      const text = raw.toString('latin1').replace(/[\r\n\t ]/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
        throw new WireFormatError('part.base64', `part ${index}: invalid base64 content`);
      }
      return Buffer.from(text, 'base64');
    }
    default:
      throw new WireFormatError('part.transferEncoding', `part ${index}: unsupported Content-Transfer-Encoding "${encoding.slice(0, 30)}"`);
  }
}

function parsePart(raw: Buffer, index: number, strict: boolean): MimePart {
  let headerEnd: number;
  let sepLen: number;
  if (raw[0] === 0x0d && raw[1] === 0x0a) {
    headerEnd = 0;
    sepLen = 2;
  } else if (!strict && raw[0] === 0x0a) {
    headerEnd = 0;
    sepLen = 1;
  } else {
    headerEnd = raw.indexOf('\r\n\r\n');
    sepLen = 4;
    if (!strict) {
      const lf = raw.indexOf('\n\n');
      if (lf !== -1 && (headerEnd === -1 || lf < headerEnd)) {
        headerEnd = lf;
        sepLen = 2;
      }
    }
    if (headerEnd === -1) throw new WireFormatError('part.headers', `part ${index}: no blank line after the part headers`);
  }
  const headers = parseHeaders(raw.subarray(0, headerEnd).toString('latin1'), index, strict);
  const transferEncoding = (headers['content-transfer-encoding'] ?? '').trim().toLowerCase();
  const contentId = headers['content-id'];
  return {
    headers,
    contentType: headers['content-type'],
    contentId: contentId === undefined ? undefined : normaliseContentId(contentId),
    transferEncoding,
    body: decodeBody(raw.subarray(headerEnd + sepLen), transferEncoding, index),
    index,
  };
}

/**
 * Splits a `multipart/related` body into parts. Throws `WireFormatError` on a missing boundary, a missing
 * closing delimiter (truncated message), malformed part headers or too many parts.
 */
export function parseMultipart(body: Buffer, boundary: string, options: MultipartOptions = {}): MimePart[] {
  const strict = options.strict ?? false;
  const maxParts = options.maxParts ?? 16;
  if (!boundary || boundary.length > 70) throw new WireFormatError('multipart.boundary', 'the boundary parameter is missing or longer than 70 characters');
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  let first: number;
  if (body.subarray(0, dash.length).equals(dash) && isBoundaryEnd(body, dash.length)) first = 0;
  else {
    const d = findDelimiter(body, dash, 0, strict);
    if (!d) throw new WireFormatError('multipart.noBoundary', 'the body holds no boundary delimiter');
    first = d.at;
  }
  const parts: MimePart[] = [];
  let cur = first + dash.length;
  for (;;) {
    if (cur >= body.length) throw new WireFormatError('multipart.truncated', 'missing closing boundary: the message is truncated');
    if (body[cur] === 0x2d && body[cur + 1] === 0x2d) return parts;
    while (body[cur] === 0x20 || body[cur] === 0x09) cur++;
    if (body[cur] === 0x0d && body[cur + 1] === 0x0a) cur += 2;
    else if (body[cur] === 0x0a) {
      if (strict) throw new WireFormatError('multipart.crlf', 'multipart line ends must be CRLF, found a bare LF after a boundary');
      cur += 1;
    } else if (cur >= body.length) throw new WireFormatError('multipart.truncated', 'missing closing boundary: the message is truncated');
    else throw new WireFormatError('multipart.delimiterLine', 'a boundary delimiter is not followed by CRLF');
    const next = findDelimiter(body, dash, cur, strict);
    if (!next) throw new WireFormatError('multipart.truncated', 'missing closing boundary: the message is truncated');
    if (parts.length >= maxParts) throw new WireFormatError('multipart.tooManyParts', `more than ${maxParts} parts`);
    parts.push(parsePart(body.subarray(cur, next.at - next.lineEnd), parts.length + 1, strict));
    cur = next.at + dash.length;
  }
}

/** Serialises parts into a multipart body with CRLF line ends and a closing delimiter. */
export function buildMultipart(boundary: string, parts: ReadonlyArray<{ headers: ReadonlyArray<[string, string]>; body: Buffer }>): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head = `--${boundary}\r\n${p.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    chunks.push(Buffer.from(head, 'latin1'), p.body, CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}
