import { EmtError } from '../app/errors';

interface RunningJob {
  readonly name: string;
  readonly senderId: string;
  readonly controller: AbortController;
}

/**
 * The long calls in flight, by job id: who started them (only that sender may cancel) and how to
 * abort them. Main asks it whether a write is running before it lets the app quit.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, RunningJob>();

  start(jobId: string, name: string, senderId: string): AbortSignal {
    if (this.jobs.has(jobId)) {
      throw new EmtError('E_JOB_EXISTS', `A job with the id ${jobId} is already running.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
    }
    const controller = new AbortController();
    this.jobs.set(jobId, { name, senderId, controller });
    return controller.signal;
  }

  finish(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** Aborts a job of this sender; false when there is no such job (already ended, or another sender's). */
  cancel(senderId: string, jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || job.senderId !== senderId) return false;
    job.controller.abort();
    return true;
  }

  /** Aborts every job (app quitting, window closed). */
  cancelAll(senderId?: string): void {
    for (const job of this.jobs.values()) if (senderId === undefined || job.senderId === senderId) job.controller.abort();
  }

  /** Names of the running calls (`flash.write`, `build.run`, …), one per job. */
  running(): string[] {
    return [...this.jobs.values()].map((j) => j.name);
  }
}
