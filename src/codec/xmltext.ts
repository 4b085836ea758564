/**
 * Character-level rules of XML text: the strict entity decoder handed to fast-xml-parser (the 5
 * predefined entities and numeric character references, nothing else), reference checking for the
 * splitter, and escaping for the builder.
 */

// No prototype: `&constructor;` or `&toString;` must be undefined entities, not Object's members.
const PREDEFINED: Record<string, string | undefined> = Object.assign(Object.create(null) as Record<string, string>, {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
});

/** A code point XML 1.0 allows in a document. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * Checks the reference starting at `amp` (an `&`): returns the index just after its `;`, or a reason
 * when it is not a predefined entity or a valid character reference.
 */
export function checkReference(text: string, amp: number): number | string {
  const semi = text.indexOf(';', amp + 1);
  if (semi === -1 || semi - amp > 12) return "'&' must start an entity or character reference ending with ';'";
  const name = text.slice(amp + 1, semi);
  if (name.charCodeAt(0) === 35 /* # */) {
    const cp = name.charCodeAt(1) === 120 /* x */ ? (/^x[0-9A-Fa-f]+$/.test(name.slice(1)) ? parseInt(name.slice(2), 16) : NaN) : /^\d+$/.test(name.slice(1)) ? parseInt(name.slice(1), 10) : NaN;
    if (!Number.isFinite(cp) || !isXmlChar(cp)) return 'character reference to a character XML does not allow';
    return semi + 1;
  }
  if (PREDEFINED[name] === undefined) return 'undefined entity (only amp, lt, gt, quot, apos are allowed)';
  return semi + 1;
}

/** Checks every `&` of a stretch of text; returns the offset and reason of the first bad one. */
export function findBadReference(text: string, from = 0, to = text.length): { at: number; reason: string } | undefined {
  let i = text.indexOf('&', from);
  while (i !== -1 && i < to) {
    const r = checkReference(text, i);
    if (typeof r === 'string') return { at: i, reason: r };
    i = text.indexOf('&', r);
  }
  return undefined;
}

/** Thrown by the decoder; the splitter has already checked references, so it means a codec bug. */
export class EntityDecodeError extends Error {}

function decode(text: string): string {
  let amp = text.indexOf('&');
  if (amp === -1) return text;
  let out = '';
  let last = 0;
  while (amp !== -1) {
    const semi = text.indexOf(';', amp + 1);
    if (semi === -1) throw new EntityDecodeError('unterminated reference');
    const name = text.slice(amp + 1, semi);
    let rep: string | undefined;
    if (name.charCodeAt(0) === 35) {
      const cp = name.charCodeAt(1) === 120 ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isFinite(cp) || !isXmlChar(cp)) throw new EntityDecodeError('bad character reference');
      rep = String.fromCodePoint(cp);
    } else {
      rep = PREDEFINED[name];
      if (rep === undefined) throw new EntityDecodeError('undefined entity');
    }
    out += text.slice(last, amp) + rep;
    last = semi + 1;
    amp = text.indexOf('&', last);
  }
  return out + text.slice(last);
}

/**
 * The decoder given to fast-xml-parser (`entityDecoder` option): decodes the 5 predefined entities and
 * numeric references in one pass, with no expansion counters (a page full of `&amp;` is ordinary text),
 * and refuses any DTD entity (the splitter rejects DTDs before the parser runs).
 */
export const strictEntityDecoder = {
  setExternalEntities(): void {},
  addInputEntities(entities: Record<string, string>): void {
    if (Object.keys(entities).length) throw new EntityDecodeError('DTD entities are not allowed');
  },
  reset(): void {},
  decode,
  setXmlVersion(): void {},
};

const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<"\t\n\r]/;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const escapeChar = (c: string): string => ESCAPES[c]!;

/** Escapes element text (`\r` as a reference so that it survives end-of-line normalisation). */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(/[&<>\r]/g, escapeChar) : s;
}

/** Escapes an attribute value (whitespace as references so that it survives attribute normalisation). */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(/[&<"\t\n\r]/g, escapeChar) : s;
}

// Control characters, U+FFFE/U+FFFF and lone surrogates cannot be written in XML 1.0, even as references.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const MAYBE_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string holds a character XML 1.0 cannot carry. */
export function hasInvalidXmlChar(s: string): boolean {
  return MAYBE_INVALID.test(s) && INVALID.test(s);
}

// The code units that may start a character XML 1.0 forbids; a surrogate is fine when it is paired.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_UNIT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/g;

/**
 * Offset of the first character XML 1.0 forbids in `text` from `from` (a control character other than
 * tab, line feed and carriage return, U+FFFE, U+FFFF, a lone surrogate), or -1. One scan of a
 * precompiled character class: documents hardly ever hold a match, so this costs a pass at memory speed.
 * A high surrogate ending the text counts as lone.
 */
export function findForbiddenChar(text: string, from = 0): number {
  FORBIDDEN_UNIT.lastIndex = from;
  for (let m = FORBIDDEN_UNIT.exec(text); m !== null; m = FORBIDDEN_UNIT.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        FORBIDDEN_UNIT.lastIndex = i + 2; // a pair: one character beyond U+FFFF, allowed
        continue;
      }
    }
    FORBIDDEN_UNIT.lastIndex = 0;
    return i;
  }
  return -1;
}

/** `U+0001`: how errors name a character, never quoting the text around it. */
export function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
