/**
 * The local tool's API as the gateway sees it (`docs/local-api.openapi.yaml`): wire types and the
 * zod schemas the client checks answers against. The record itself stays `unknown` here: the
 * canonical schema (src/domain) judges it, not the transport.
 */
import { z } from 'zod';

const version = z.number().int().positive();

export const storedDemandeSchema = z.object({
  numUnique: z.string().min(1),
  version,
  updatedAt: z.string().min(1),
  record: z.unknown(),
});
/** A demand as the local tool holds it. */
export type StoredDemande = z.infer<typeof storedDemandeSchema>;

export const demandePageSchema = z.object({
  items: z.array(storedDemandeSchema),
  nextCursor: z.string().min(1).nullable(),
});
/** One page of the export; `nextCursor` null on the last page. */
export type DemandePage = z.infer<typeof demandePageSchema>;

export const PutOutcome = { created: 'created', updated: 'updated', unchanged: 'unchanged' } as const;
export type PutOutcome = (typeof PutOutcome)[keyof typeof PutOutcome];

export const putResultSchema = z.object({
  numUnique: z.string().min(1),
  version,
  updatedAt: z.string().min(1),
  outcome: z.enum([PutOutcome.created, PutOutcome.updated, PutOutcome.unchanged]),
});
export type PutResult = z.infer<typeof putResultSchema>;

export const conflictBodySchema = z.object({
  currentVersion: version.optional(),
  reason: z.string().regex(/^[a-z_]{1,64}$/).optional().catch(undefined),
});

export const evenementSchema = z.object({
  id: z.string().min(1),
  seq: z.number().int().nonnegative(),
  numUnique: z.string().min(1),
  type: z.string().min(1),
  occurredAt: z.string().min(1),
  payload: z.unknown(),
  recordedAt: z.string().optional(),
});
/** An event of the local tool's feed. */
export type Evenement = z.infer<typeof evenementSchema>;

export const evenementPageSchema = z.object({
  items: z.array(evenementSchema),
  nextAfter: z.number().int().nonnegative(),
});
export type EvenementPage = z.infer<typeof evenementPageSchema>;

/** An event to record; the client chooses the id when absent, so that a resend is harmless. */
export interface NewEvenement {
  id?: string;
  numUnique: string;
  type: string;
  occurredAt: string;
  payload: Record<string, unknown>;
}

export const AckStatus = { delivered: 'delivered', rejected: 'rejected', retrying: 'retrying' } as const;
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];

export const acquittementSchema = z.object({
  seq: z.number().int().nonnegative(),
  evenementId: z.string().min(1),
  status: z.enum([AckStatus.delivered, AckStatus.rejected, AckStatus.retrying]),
  code: z.string().optional(),
  message: z.string().optional(),
  target: z.string().optional(),
  at: z.string().min(1),
  receivedAt: z.string().optional(),
});
/** An acknowledgement the gateway sent back for an event. */
export type Acquittement = z.infer<typeof acquittementSchema>;

export const acquittementListSchema = z.object({ items: z.array(acquittementSchema) });

/** What the gateway reports back about an event (`message` must not carry personal data). */
export interface NewAcquittement {
  status: AckStatus;
  code?: string;
  message?: string;
  target?: string;
  at?: string;
}

export const issueListSchema = z.object({
  errors: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })),
});
