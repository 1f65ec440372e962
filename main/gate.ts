import type { z } from 'zod';
import { EmtError, toEmtError } from '../app/errors';
import {
  argsSchema,
  callChannel,
  eventChannel,
  listCalls,
  type CallOutcome,
  type CallSpec,
  type ContractMap,
  type EventMap,
} from '../app/contract/api';
import { ProgressEventSchema, type ErrorInfo, type ProgressEvent } from '../app/contract/jobs';
import { JobRegistry } from './job-registry';
import type { CallContext, Handlers } from './handler-types';

/** The sender of a call as the transport reports it (Electron's senderFrame, or the bridge's request). */
export interface SenderInfo {
  /** Stable per window (webContents id) or per bridge session. */
  readonly id: string;
  /** URL of the frame that sent the call; undefined when the frame is gone. */
  readonly url: string | undefined;
  readonly isMainFrame: boolean;
}

export interface GateLog {
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface JobObserver {
  onStart?(name: string, jobId: string): void;
  onProgress?(name: string, jobId: string, event: ProgressEvent): void;
  onEnd?(name: string, jobId: string, error: ErrorInfo | null): void;
}

export interface GateOptions<E extends EventMap> {
  events: E;
  /** The one place that says which frames may call: main checks the app:// origin, the bridge its own. */
  isTrustedSender(sender: SenderInfo): boolean;
  /** Delivers an event on a channel to one sender, or to every trusted window when `to` is undefined. */
  send(channel: string, payload: unknown, to?: string): void;
  log: GateLog;
  jobs?: JobRegistry;
  observer?: JobObserver;
}

/**
 * The one door between the UI and the engine. Every call is checked in the same order: known
 * channel, trusted sender (origin and main frame, Electron security checklist items 17 and 20),
 * arguments parsed by the contract's zod schemas; then the handler runs, its result is checked
 * against the contract, and any failure comes back as plain `{code, message, hint}`.
 * Node only (no electron import), so Electron main and the Playwright bridge share it.
 */
export class Gate<C extends ContractMap, E extends EventMap> {
  private readonly routes = new Map<string, { name: string; spec: CallSpec; args: z.ZodType<unknown[]>; fn: (...a: unknown[]) => unknown }>();
  readonly jobs: JobRegistry;

  constructor(
    contract: C,
    handlers: Handlers<C>,
    private readonly options: GateOptions<E>,
  ) {
    this.jobs = options.jobs ?? new JobRegistry();
    for (const [ns, method, spec] of listCalls(contract)) {
      const fn = (handlers as Record<string, Record<string, ((...a: unknown[]) => unknown) | undefined>>)[ns]?.[method];
      if (typeof fn !== 'function') throw new Error(`no handler for ${ns}.${method}`);
      this.routes.set(callChannel(ns, method), { name: `${ns}.${method}`, spec, args: argsSchema(spec), fn });
    }
  }

  /** Every channel the gate answers; the Electron adapter registers exactly these. */
  channels(): string[] {
    return [...this.routes.keys()];
  }

  async invoke(channel: string, sender: SenderInfo, rawArgs: unknown): Promise<CallOutcome> {
    const route = this.routes.get(channel);
    if (!route) {
      this.options.log.warn('call to an unknown channel refused', { channel, sender: sender.url });
      return fail(new EmtError('E_UNKNOWN_CALL', `The app asked for "${channel}", which does not exist.`, 'This is a bug in EMT Media Builder. Save the log and report it.'));
    }
    if (!this.options.isTrustedSender(sender)) {
      this.options.log.warn('call from an untrusted sender refused', { channel, url: sender.url, isMainFrame: sender.isMainFrame });
      return fail(new EmtError('E_FORBIDDEN', 'A call came from a page that is not part of the app and was refused.', 'Restart EMT Media Builder. If this happens again, save the log and report it.'));
    }
    const parsed = route.args.safeParse(rawArgs);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `argument ${issue.path.join('.') || '(all)'}: ${issue.message}` : 'malformed arguments';
      this.options.log.warn('call with bad arguments refused', { channel, issues: parsed.error.issues });
      return fail(new EmtError('E_BAD_REQUEST', `The request ${route.name} was refused (${where}).`, 'This is a bug in EMT Media Builder. Save the log and report it.'));
    }
    const ctx: CallContext = { senderId: sender.id };
    try {
      const value = route.spec.kind === 'job' ? await this.runJob(route.name, route.fn, ctx, parsed.data) : await route.fn(ctx, ...parsed.data);
      const checked = route.spec.result.safeParse(value);
      if (!checked.success) {
        this.options.log.error('handler result breaks the contract', { channel, issues: checked.error.issues });
        return fail(new EmtError('E_CONTRACT', `The engine answered ${route.name} with data the app does not understand.`, 'This is a bug in EMT Media Builder. Save the log and report it.'));
      }
      return { ok: true, value: checked.data };
    } catch (e) {
      const err = toEmtError(e, `${route.name} failed`);
      if (err.code === 'E_INTERNAL') this.options.log.error('call failed', { channel, stack: e instanceof Error ? e.stack : String(e) });
      return fail(err);
    }
  }

  /** Sends an event, after checking its payload against the contract (a bad payload is a bug: it throws). */
  emit<K extends keyof E & string>(name: K, payload: z.input<E[K]>, to?: string): void {
    const schema = this.options.events[name];
    if (!schema) throw new Error(`unknown event ${name}`);
    this.options.send(eventChannel(name), schema.parse(payload), to);
  }

  private async runJob(name: string, fn: (...a: unknown[]) => unknown, ctx: CallContext, args: unknown[]): Promise<unknown> {
    const [jobId, ...rest] = args as [string, ...unknown[]];
    const signal = this.jobs.start(jobId, name, ctx.senderId);
    const observer = this.options.observer;
    observer?.onStart?.(name, jobId);
    const progress = (raw: z.input<typeof ProgressEventSchema>): void => {
      const event = ProgressEventSchema.parse(raw);
      observer?.onProgress?.(name, jobId, event);
      this.options.send(eventChannel('jobProgress'), { jobId, event }, ctx.senderId);
    };
    try {
      const value = await fn({ ...ctx, jobId, signal, progress }, ...rest);
      observer?.onEnd?.(name, jobId, null);
      return value;
    } catch (e) {
      observer?.onEnd?.(name, jobId, errorInfo(toEmtError(e)));
      throw e;
    } finally {
      this.jobs.finish(jobId);
    }
  }
}

function errorInfo(err: EmtError): ErrorInfo {
  return { code: err.code, message: err.message, hint: err.hint };
}

function fail(err: EmtError): CallOutcome {
  // Details go through JSON so that only plain data crosses (IPC structured clone, the bridge's HTTP).
  const details = err.details ? (JSON.parse(JSON.stringify(err.details)) as Record<string, unknown>) : undefined;
  return { ok: false, error: { ...errorInfo(err), ...(details ? { details } : {}) } };
}
