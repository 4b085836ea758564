/**
 * Input rules of the local-tool API: the protocol rules the simulator always applies, and the default
 * record check. Issues name a path and a rule, never a value.
 */
import { z } from 'zod';
import type { Issue } from '../../errors';
import { AckStatus } from './store';

/**
 * Checks a record before it is stored; the lead plugs the canonical schema in here. Paths are
 * relative to the record (`demandeur.nom`, not `record.demandeur.nom`).
 */
export type RecordValidator = (record: unknown, context: { numUnique: string }) => Issue[];

/** Shape of the identifiers in paths: what a numéro unique (18 characters today) may grow into. */
export const NUM_UNIQUE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Shape of event ids chosen by the caller (a UUID when the local tool generates it). */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The protocol rule every PUT obeys whatever validator is plugged in: the record is a JSON object
 * whose `numUnique` is the one in the URL (so a record can never be filed under another demand).
 */
export function protocolIssues(record: unknown, numUnique: string): Issue[] {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return [{ path: '', rule: 'object', message: 'the record must be a JSON object' }];
  }
  const value = (record as Record<string, unknown>).numUnique;
  if (typeof value !== 'string') {
    return [{ path: 'numUnique', rule: 'required', message: 'numUnique is required and must be a string' }];
  }
  if (value !== numUnique) {
    return [{ path: 'numUnique', rule: 'matches_path', message: 'numUnique must equal the numUnique of the URL' }];
  }
  return [];
}

/** The default validator: nothing beyond the protocol rule. */
export const acceptAnyRecord: RecordValidator = () => [];

/** zod issues as API issues (zod's messages describe the rule, not the value). */
export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), rule: i.code, message: i.message }));
}

const dateTime = z.iso.datetime({ offset: true });

export const newEvenementSchema = z.object({
  id: z.string().regex(EVENT_ID_PATTERN).optional(),
  numUnique: z.string().regex(NUM_UNIQUE_PATTERN),
  type: z.string().min(1).max(64),
  occurredAt: dateTime,
  payload: z.record(z.string(), z.unknown()).default({}),
});

export const newAcquittementSchema = z.object({
  status: z.enum([AckStatus.delivered, AckStatus.rejected, AckStatus.retrying]),
  code: z.string().min(1).max(64).optional(),
  message: z.string().max(2000).optional(),
  target: z.string().min(1).max(64).optional(),
  at: dateTime.optional(),
});
