import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../contract/jobs';
import { ProgressMeter } from './progress';

describe('ProgressMeter', () => {
  it('reports speed over the window and an ETA, and no speed before half a window', () => {
    let now = 0;
    const events: ProgressEvent[] = [];
    const m = new ProgressMeter('write', 100_000_000, (e) => events.push(e), { now: () => now, windowMs: 2000, intervalMs: 100 });
    now = 500;
    m.add(5_000_000);
    expect(events.at(-1)!.bytesPerSecond).toBeNull();
    expect(events.at(-1)!.etaSeconds).toBeNull();
    for (let i = 0; i < 20; i++) {
      now += 250;
      m.add(2_500_000); // 10 MB/s
    }
    const last = events.at(-1)!;
    expect(last.bytesPerSecond).toBeCloseTo(10_000_000, -5);
    expect(last.etaSeconds).toBeCloseTo((100_000_000 - last.done) / 10_000_000, 0);
    expect(last.phase).toBe('write');
  });

  it('throttles events and always emits the final one', () => {
    let now = 0;
    const events: ProgressEvent[] = [];
    const m = new ProgressMeter('verify', 1000, (e) => events.push(e), { now: () => now, intervalMs: 100, target: '/dev/sdz' });
    for (let i = 0; i < 100; i++) {
      now += 1;
      m.add(10);
    }
    expect(events.length).toBe(1);
    m.finish();
    expect(events.at(-1)).toMatchObject({ done: 1000, total: 1000, target: '/dev/sdz' });
  });
});
