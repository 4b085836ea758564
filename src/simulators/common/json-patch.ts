/**
 * A small JSON Patch (RFC 6902) for the simulators' "someone changed it on their side" admin routes:
 * `add`, `remove`, `replace` with JSON Pointer paths (RFC 6901). It works on a copy and throws
 * `JsonPatchError` (naming the operation index and rule, never a value) when an operation cannot apply.
 */
import { z } from 'zod';

export const jsonPatchSchema = z.array(
  z.discriminatedUnion('op', [
    z.strictObject({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
    z.strictObject({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
    z.strictObject({ op: z.literal('remove'), path: z.string() }),
  ]),
);
export type JsonPatch = z.infer<typeof jsonPatchSchema>;

export class JsonPatchError extends Error {
  constructor(
    readonly index: number,
    readonly rule: string,
  ) {
    super(`patch operation ${index}: ${rule}`);
    this.name = 'JsonPatchError';
  }
}

function parsePointer(pointer: string, index: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(index, 'path must be a JSON pointer');
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      const token = t.replace(/~1/g, '/').replace(/~0/g, '~');
      if (token === '__proto__') throw new JsonPatchError(index, 'path token not allowed');
      return token;
    });
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

/** Applies `patch` to a deep copy of `doc` and returns the copy. */
export function applyJsonPatch(doc: unknown, patch: JsonPatch): unknown {
  let root: unknown = structuredClone(doc);
  patch.forEach((op, index) => {
    const tokens = parsePointer(op.path, index);
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new JsonPatchError(index, 'cannot remove the root');
      root = structuredClone(op.value);
      return;
    }
    let parent: unknown = root;
    for (const token of tokens.slice(0, -1)) {
      if (!isContainer(parent)) throw new JsonPatchError(index, 'path does not exist');
      parent = Array.isArray(parent) ? parent[Number(token)] : parent[token];
    }
    if (!isContainer(parent)) throw new JsonPatchError(index, 'path does not exist');
    const last = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent)) {
      const at = last === '-' ? parent.length : Number(last);
      const max = op.op === 'add' ? parent.length : parent.length - 1;
      if (!Number.isInteger(at) || at < 0 || at > max) throw new JsonPatchError(index, 'array index out of range');
      if (op.op === 'add') parent.splice(at, 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[at] = structuredClone(op.value);
      else parent.splice(at, 1);
      return;
    }
    const exists = Object.prototype.hasOwnProperty.call(parent, last);
    if (op.op !== 'add' && !exists) throw new JsonPatchError(index, 'path does not exist');
    if (op.op === 'remove') delete parent[last];
    else parent[last] = structuredClone(op.value);
  });
  return root;
}
