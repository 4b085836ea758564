/**
 * Bearer-token check shared by the simulators: every route answers 401 unless the request carries
 * `Authorization: Bearer <token>` with the configured token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * True when `presented` equals `expected`, in time independent of where they differ. Both sides are
 * hashed first so that the comparison also does not leak the expected length.
 */
export function constantTimeEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null when absent or of another scheme. */
export function bearerTokenOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Express middleware: 401 with `WWW-Authenticate: Bearer` unless the bearer token matches. */
export function requireBearer(token: string): RequestHandler {
  if (token.length === 0) throw new Error('requireBearer: the token must not be empty');
  return (req, res, next) => {
    const presented = bearerTokenOf(req.headers.authorization);
    if (presented !== null && constantTimeEquals(presented, token)) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .json({ error: 'unauthorized', message: 'a valid bearer token is required' });
  };
}
