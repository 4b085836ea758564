/**
 * SPTA dialects of the mapping outputs. A profile (owned by the SPTA helper, files under
 * `mappings/spta/`) translates SNE codes into the SPTA's own, per code list; a code without translation
 * passes through unchanged, like in the codec. The demand changes stay canonical: the codec translates
 * the demand's codes with the same profile when it writes the file.
 */
import type { SneTranslation } from './sne';
import type { BlockNode } from './types';

/** What this module needs of an SPTA profile: per list, SNE code -> dialect code. */
export interface SptaCodeProfile {
  codeTranslations: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One SNE code in the profile's dialect (unchanged when the profile has no translation for it). */
export function translateCode(profile: SptaCodeProfile, list: string, sneCode: string): string {
  const table = Object.prototype.hasOwnProperty.call(profile.codeTranslations, list) ? profile.codeTranslations[list] : undefined;
  if (table === undefined || !Object.prototype.hasOwnProperty.call(table, sneCode)) return sneCode;
  return table[sneCode] ?? sneCode;
}

/** A block with every coded element (those that name their `list`) translated; the input is untouched. */
export function translateBlockForProfile(block: BlockNode, profile: SptaCodeProfile): BlockNode {
  const out: BlockNode = { ...block };
  if (block.list !== undefined && block.attributes?.code !== undefined) {
    out.attributes = { ...block.attributes, code: translateCode(profile, block.list, block.attributes.code) };
  }
  if (block.children) out.children = block.children.map((c) => translateBlockForProfile(c, profile));
  return out;
}

/** An SNE translation in an SPTA's dialect: its block's codes translated; anything else unchanged. */
export function applySptaProfile(translation: SneTranslation, profile: SptaCodeProfile): SneTranslation {
  if (!translation.ok || !translation.transmit || translation.block === undefined) return translation;
  return { ...translation, block: translateBlockForProfile(translation.block, profile) };
}
