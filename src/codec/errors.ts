/**
 * Errors of the `interfaceNuu` codec. All permanent: a file that is not well-formed, declares a DTD or
 * exceeds a limit will not get better by retrying. Messages name a position and a rule, never content.
 */
import { PermanentError, type SafeDetails } from '../errors';

/** Stable codes of {@link CodecError}. */
export const CodecErrorCode = {
  /** Not well-formed XML (details: `line`, `column`, `reason`). */
  malformed: 'XML_MALFORMED',
  /** A `<!DOCTYPE` or `<!ENTITY` declaration: refused (no DTD, no entity expansion, no external entity). */
  dtdForbidden: 'XML_DTD_FORBIDDEN',
  /** Document or fragment larger than the configured limit. */
  tooLarge: 'XML_TOO_LARGE',
  /** Elements nested deeper than the configured limit. */
  tooDeep: 'XML_TOO_DEEP',
  /** Not UTF-8 (declared otherwise, or invalid byte sequences). */
  encoding: 'XML_ENCODING',
  /** Well-formed XML whose root is not `interfaceNuu`. */
  notInterfaceNuu: 'XML_NOT_INTERFACE_NUU',
  /** `buildInterfaceNuu` was given something it cannot write (missing header field, forbidden character). */
  buildInvalid: 'XML_BUILD_INVALID',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

/** An error of the codec, with a stable code; position details when there is one. */
export class CodecError extends PermanentError {
  declare readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, details: SafeDetails = {}) {
    super(code, message, { system: 'codec', details });
  }
}

/** A position in a document, 1-based, in characters. */
export interface Position {
  line: number;
  column: number;
}

/** `XML_MALFORMED` at a position, with a short reason naming the rule broken (never the text). */
export function malformedAt(pos: Position, reason: string): CodecError {
  return new CodecError(
    CodecErrorCode.malformed,
    `XML is not well-formed at line ${pos.line}, column ${pos.column}: ${reason}`,
    { line: pos.line, column: pos.column, reason },
  );
}
