import type { z } from 'zod';
import type { CallSpec, Contract, ContractMap, JobId, OutputsOf } from '../app/contract/api';
import type { ProgressEventSchema } from '../app/contract/jobs';

/** Who asked, as the gate saw it (it has already decided to trust the sender). */
export interface CallContext {
  readonly senderId: string;
}

/** What a job handler receives besides its arguments. */
export interface JobContext {
  readonly jobId: JobId;
  /** Fires when the UI cancels the job or the window goes away; the handler then throws E_CANCELLED. */
  readonly signal: AbortSignal;
  readonly progress: (event: z.input<typeof ProgressEventSchema>) => void;
}

/** How main (or the test bridge) implements one entry of the contract. */
export type HandlerFn<S> =
  S extends CallSpec<infer A, infer R, infer K>
    ? K extends 'job'
      ? (ctx: CallContext & JobContext, ...args: OutputsOf<A>) => Promise<z.input<R>>
      : (ctx: CallContext, ...args: OutputsOf<A>) => Promise<z.input<R>> | z.input<R>
    : never;

export type Handlers<C extends ContractMap = Contract> = {
  [N in keyof C]: { [M in keyof C[N]]: HandlerFn<C[N][M]> };
};
