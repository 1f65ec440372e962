import { z } from 'zod';

/** A failure as it crosses any boundary (IPC, CLI --json, writer protocol). */
export const ErrorInfoSchema = z.object({
  code: z.string().regex(/^E_[A-Z0-9_]+$/),
  message: z.string(),
  hint: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/**
 * Step-tagged progress of a long job. `done`/`total` are bytes (or items where a phase has no
 * bytes); speed and ETA are null until the meter has seen enough to say something honest.
 */
export const ProgressEventSchema = z.object({
  phase: z.string(),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  bytesPerSecond: z.number().nonnegative().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
  /** Which target (drive, file) this event is about, when a job has several. */
  target: z.string().optional(),
  detail: z.string().optional(),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;
