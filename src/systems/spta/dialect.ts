/**
 * What an SPTA's profile does outside the codec: the element names of the extra blocks (events written
 * after the demand), the codes of those blocks for the push pipeline, and the system stamped on errors.
 */
import type { Evenement } from '../../domain';
import { AmbiguousError, GatewayError, PermanentError, TransientError, ValidationError } from '../../errors';
import { applySptaProfile, translateEvenementForSne, type MappingTables, type SneTranslateOptions, type SneTranslation } from '../../mapping';
import type { ElementTree } from '../port';
import type { SptaProfile } from './profile';

/** Blocks with every element renamed as the profile renames it (the codec does the demand itself). */
export function renameBlocks(blocks: readonly ElementTree[], renames: Readonly<Record<string, string>>): ElementTree[] {
  const rename = (t: ElementTree): ElementTree => ({
    ...t,
    name: Object.prototype.hasOwnProperty.call(renames, t.name) ? (renames[t.name] as string) : t.name,
    ...(t.children ? { children: t.children.map(rename) } : {}),
  });
  return blocks.map(rename);
}

/**
 * The push translation of an event for an SPTA: the SNE translation, then the profile's code translations
 * on the event's block (`applySptaProfile`). The demand's own codes are translated by the dialect codec.
 * Meant for the push pipeline's per-target `translate` option.
 */
export function sptaTranslate(profile: Pick<SptaProfile, 'codeTranslations'>): (evenement: Evenement, tables: MappingTables, options: SneTranslateOptions) => Promise<SneTranslation> {
  return async (evenement, tables, options) => applySptaProfile(await translateEvenementForSne(evenement, tables, options), profile);
}

/**
 * The same error with `system` set to the SPTA's id: the SNE protocol layer stamps `sne`, and an operator
 * must see which system refused. Class, code, message, details and Retry-After are kept.
 */
export function restamp(e: unknown, system: string): unknown {
  if (!(e instanceof GatewayError) || e.system === system) return e;
  const options = {
    system,
    details: e.details,
    ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }),
    cause: e,
  };
  if (e instanceof ValidationError) return new ValidationError(e.code, e.issues, options);
  switch (e.errorClass) {
    case 'transient':
      return new TransientError(e.code, e.message, options);
    case 'ambiguous':
      return new AmbiguousError(e.code, e.message, options);
    default:
      return new PermanentError(e.code, e.message, options);
  }
}

/** Runs `f`, re-throwing its gateway errors stamped with `system`. */
export async function stamped<T>(system: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw restamp(e, system);
  }
}
