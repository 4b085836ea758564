/**
 * Password hashes of web users (`web.users[].passwordHash`): scrypt in the PHC string format
 * `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64 no padding>$<hash, base64 no padding>`.
 * The format lives here because the configuration validates it; the web server verifies with it.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptHash {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{43,})$/;

/** Parses a PHC scrypt string; `undefined` when it is not one (bounds keep verification affordable). */
export function parseScryptHash(text: string): ScryptHash | undefined {
  const m = PHC.exec(text);
  if (!m) return undefined;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { ln, r, p, salt: Buffer.from(m[4] ?? '', 'base64'), hash: Buffer.from(m[5] ?? '', 'base64') };
}

function derive(password: string, salt: Buffer, ln: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** ln;
  // Node refuses by default above 32 MiB; allow exactly what these parameters need.
  const maxmem = 128 * N * r * 2 + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

/** Hashes a password for the configuration file (`ln` 15 by default: about 0.1 s, 32 MiB). */
export async function hashPassword(password: string, options: { ln?: number } = {}): Promise<string> {
  const ln = options.ln ?? 15;
  const salt = randomBytes(16);
  const hash = await derive(password, salt, ln, 8, 1, 32);
  return `$scrypt$ln=${ln},r=8,p=1$${b64(salt)}$${b64(hash)}`;
}

/** True when `password` matches the PHC scrypt string (constant-time comparison). */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parseScryptHash(phc);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.ln, parsed.r, parsed.p, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}
