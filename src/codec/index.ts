/**
 * The SNE data-format codec: `interfaceNuu` XML <-> the canonical demand model (src/domain).
 *
 * - `parseInterfaceNuu(xml, options)`: a whole file in memory (up to 64 MiB by default); each demand is
 *   mapped, validated, and either accepted or quarantined with its issues: one bad demand never fails
 *   the file. Not well-formed XML, a DTD, too deep or too large input throw a `CodecError`.
 * - `streamDemandes(source, options)`: a file of any size, demand by demand, with bounded memory; then
 *   `parseDemandeFragment(item.xml, item, options)` for each item, in any thread.
 * - `buildInterfaceNuu(input, options)`: deterministic writing, same element order as the skeleton.
 *
 * Options carry the element table of the [open] blocks (`loadElementTable()`) and, for SPTA dialects,
 * element renames and code translations, applied both ways. In loops, make the codec once with
 * `createInterfaceNuuCodec(options)` and pass it where options are expected: compiling costs more than
 * parsing one small fragment.
 */
import type { Readable } from 'node:stream';
import { InterfaceNuuCodec, type ByteSource, type DemandeStream, type FragmentPlace } from './codec';
import type {
  CodecOptions,
  DemandeResult,
  FragmentContext,
  InterfaceNuuInput,
  ParsedInterfaceNuu,
} from './types';

export * from './types';
export { CodecError, CodecErrorCode, type Position } from './errors';
export { defaultElementTablePath, loadElementTable, parseElementTable, ElementTableSchema, ELEMENT_TABLE_INVALID, type ElementTable } from './elements';
export {
  InterfaceNuuCodec,
  DemandeStream,
  SNE_NAMESPACE,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_DOCUMENT_BYTES,
  DEFAULT_MAX_FRAGMENT_LENGTH,
  type ByteSource,
  type FragmentPlace,
} from './codec';
export type { ReadDemande } from './read';

/** Options, or a codec made from them once. */
export type CodecInput = CodecOptions | InterfaceNuuCodec;

/** Compiles the options once (element table, dialect, limits) for repeated use. */
export function createInterfaceNuuCodec(options: CodecOptions): InterfaceNuuCodec {
  return new InterfaceNuuCodec(options);
}

function codecOf(input: CodecInput): InterfaceNuuCodec {
  return input instanceof InterfaceNuuCodec ? input : new InterfaceNuuCodec(input);
}

/** Parses a whole `interfaceNuu` document (string or UTF-8 bytes). */
export function parseInterfaceNuu(xml: string | Buffer, options: CodecInput): ParsedInterfaceNuu {
  return codecOf(options).parse(xml);
}

/** Splits a document demand by demand as it is read (`Readable` or any async iterable of chunks). */
export function streamDemandes(source: ByteSource | Readable, options: CodecInput): DemandeStream {
  return codecOf(options).stream(source);
}

/** Parses and validates one fragment yielded by `streamDemandes` (the item is its context). */
export function parseDemandeFragment(
  xml: string,
  context: FragmentContext & FragmentPlace,
  options: CodecInput,
): DemandeResult {
  return codecOf(options).parseFragment(xml, context);
}

/** Writes a document: deterministic, UTF-8, two-space indented, absent elements and empty lists left out. */
export function buildInterfaceNuu(input: InterfaceNuuInput, options: CodecInput): string {
  return codecOf(options).build(input);
}
