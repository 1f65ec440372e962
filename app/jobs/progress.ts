import type { ProgressEvent } from '../contract/jobs';

export type OnProgress = (event: ProgressEvent) => void;

interface Sample {
  t: number;
  done: number;
}

/**
 * Turns byte counts into progress events: throttled (at most one every `intervalMs`), with speed
 * measured over a sliding window so that a stall shows as a falling speed, and an ETA only once the
 * speed has been measured over at least half a window.
 */
export class ProgressMeter {
  private done = 0;
  private lastEmit = 0;
  private readonly samples: Sample[] = [];

  constructor(
    private readonly phase: string,
    private readonly total: number,
    private readonly onProgress: OnProgress | undefined,
    private readonly options: { target?: string; windowMs?: number; intervalMs?: number; now?: () => number } = {},
  ) {
    this.samples.push({ t: this.now(), done: 0 });
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  add(bytes: number): void {
    this.set(this.done + bytes);
  }

  set(done: number): void {
    this.done = done;
    const t = this.now();
    if (t - this.lastEmit >= (this.options.intervalMs ?? 100)) this.emit(t);
  }

  /** Emit a final event with done = total (or the count reached). */
  finish(detail?: string): void {
    this.emit(this.now(), detail);
  }

  private emit(t: number, detail?: string): void {
    const windowMs = this.options.windowMs ?? 2000;
    this.samples.push({ t, done: this.done });
    while (this.samples.length > 2 && t - this.samples[1]!.t >= windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const span = t - first.t;
    const speed = span >= windowMs / 2 ? ((this.done - first.done) * 1000) / span : null;
    const eta = speed && speed > 0 && this.total >= this.done ? (this.total - this.done) / speed : null;
    this.lastEmit = t;
    this.onProgress?.({
      phase: this.phase,
      done: this.done,
      total: this.total,
      bytesPerSecond: speed,
      etaSeconds: eta,
      ...(this.options.target ? { target: this.options.target } : {}),
      ...(detail ? { detail } : {}),
    });
  }
}
