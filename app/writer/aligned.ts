import { cancelledError } from '../errors';

/**
 * Memory for direct I/O. O_DIRECT (and Windows' FILE_FLAG_NO_BUFFERING) need buffer addresses
 * aligned to the device's sector, and Node's Buffers are not: measured here on a loop device,
 * `Buffer.alloc(4 MiB + 4 KiB)` started 16 bytes past a page, so an O_DIRECT read succeeded at
 * only 2 of the 512 offsets 0..4095 step 8 (496 and 1008) and finding one took ~8 ms of probing
 * per buffer. A WebAssembly.Memory is mapped by the engine straight from the OS page allocator:
 * every 512-byte offset of it worked, and allocating 1 MiB took 0.4 ms. So aligned buffers are cut
 * from a WebAssembly.Memory at 64 KiB boundaries. It is a shared one, so that the hashing workers
 * (hasher.ts) read the blocks in place.
 */

// @types/node 20 does not declare the WebAssembly global; this is the one constructor we use.
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: true }) => WasmMemory } }).WebAssembly;

const WASM_PAGE = 64 * 1024;

/** `count` page-aligned buffers of `size` bytes each, in shared memory. */
export function alignedBuffers(size: number, count: number): Buffer[] {
  const stride = Math.ceil(size / WASM_PAGE) * WASM_PAGE;
  const pages = (stride * count) / WASM_PAGE;
  const mem = new Memory({ initial: pages, maximum: pages, shared: true });
  return Array.from({ length: count }, (_, i) => Buffer.from(mem.buffer, i * stride, size));
}

/** A fixed set of buffers handed out in turn; waiting for a free one is the backpressure. */
export class BufferPool {
  private readonly free: Buffer[];
  private readonly waiting: Array<(b: Buffer) => void> = [];

  constructor(buffers: Buffer[]) {
    this.free = [...buffers];
  }

  acquire(signal?: AbortSignal): Promise<Buffer> {
    const b = this.free.pop();
    if (b) return Promise.resolve(b);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(cancelledError());
      };
      const take = (buf: Buffer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(buf);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  release(b: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(b);
    else this.free.push(b);
  }
}
