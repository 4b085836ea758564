/**
 * Content identity for the simulators' duplicate-effect detection: two JSON values are the same content
 * when they are equal as values, whatever the order of their object keys.
 */
import { createHash } from 'node:crypto';

/** JSON text with object keys sorted at every depth (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  // One string built by appending (no array of parts per object): the local-tool simulator runs this
  // for every record it stores, in the pull benchmark's hot path.
  if (value === null || typeof value !== 'object') {
    // undefined, functions and symbols have no JSON form: treat them as null, like arrays do.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** Hex sha256 of a text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
