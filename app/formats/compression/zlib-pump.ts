import type { Transform } from 'node:stream';

/** A zlib stream (Deflate, InflateRaw, …): a Transform that counts the input its engine consumed. */
export type ZlibStream = Transform & { bytesWritten: number };

export interface PumpResult {
  /** Input fed but not consumed: the stream ended inside the last chunk (empty otherwise). */
  leftover: Buffer;
}

/**
 * Drives a zlib stream from a pull source, one input chunk at a time, and yields its output while
 * respecting backpressure: a small input that inflates to gigabytes is never buffered whole.
 * It ends when zlib ends its output (for inflate: at the end of the deflate stream, even if input is
 * left), and returns what was consumed so the caller can give the rest back.
 */
export async function* pumpZlib(z: ZlibStream, next: () => Promise<Buffer | null>): AsyncGenerator<Buffer, PumpResult, undefined> {
  // Node's zlib calls a write's callback once the chunk is consumed or the stream has ended. We
  // write one chunk at a time and stop once input is left over: unconsumed input is in the last chunk.
  let last: Buffer = Buffer.alloc(0);
  let fed = 0;
  let isWriting = false;
  let isInputDone = false;
  let isEnded = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onEnd = () => {
    isEnded = true;
    poke();
  };
  const onError = (e: Error) => {
    failure = e;
    poke();
  };
  z.on('readable', poke);
  z.on('end', onEnd);
  z.on('error', onError);
  try {
    for (;;) {
      let out: Buffer | null;
      while ((out = z.read() as Buffer | null) !== null) yield out;
      if (failure) throw failure;
      if (isEnded) break;
      // Once zlib leaves input of a finished write unconsumed, its stream has ended: write no more.
      const isFinished = z.bytesWritten < fed;
      if (!isWriting && !isInputDone && !isFinished) {
        const chunk = await next();
        if (chunk === null) {
          isInputDone = true;
          z.end();
        } else {
          last = chunk;
          fed += chunk.length;
          isWriting = true;
          z.write(chunk, () => {
            isWriting = false;
            poke();
          });
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    const unconsumed = fed - z.bytesWritten;
    if (unconsumed < 0 || unconsumed > last.length) throw new Error(`zlib consumed ${z.bytesWritten} of ${fed} bytes fed`);
    return { leftover: last.subarray(last.length - unconsumed) };
  } finally {
    z.off('readable', poke);
    z.off('end', onEnd);
    z.off('error', onError);
    // Swallow errors a destroyed stream may still emit; the caller already has the first one.
    z.on('error', () => {});
    z.destroy();
  }
}
