import { createHash } from 'node:crypto';
import { EmtError } from '../errors';
import { OffThreadHash } from '../jobs/hash-worker';
import type { ByteSource } from '../formats/byte-source';

/**
 * Hashes taken while bytes stream past: the media manifest lists the sha256 of every file on the
 * ISO, and reading a 600 MiB initramfs twice (once to hash, once to write) would double the build
 * time. A wrapped source records its digest each time it has been streamed to the end.
 */
export class StreamHashes {
  private readonly digests = new Map<string, string>();

  wrap(name: string, src: ByteSource): ByteSource {
    return {
      size: src.size,
      stream: (signal) => this.hashing(name, src, signal),
    };
  }

  private async *hashing(name: string, src: ByteSource, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const h = new OffThreadHash();
    let n = 0;
    try {
      for await (const chunk of src.stream(signal)) {
        await h.update(chunk);
        n += chunk.length;
        yield chunk;
      }
      if (n !== src.size) throw new Error(`${name} streamed ${n} bytes, expected ${src.size}`);
      this.digests.set(name, await h.digest());
    } finally {
      h.dispose();
    }
  }

  /** The digest of a source that has been streamed to the end; an internal error otherwise. */
  get(name: string): string {
    const d = this.digests.get(name);
    if (!d) {
      throw new EmtError('E_INTERNAL', `The hash of ${name} was needed before it had been written.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
    }
    return d;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A JSON document whose size must be fixed before its content is known (it is written after the
 * files it describes). `placeholder` must produce the same document with every late value replaced
 * by one of equal length (64-hex hashes do that naturally); the late document is padded with spaces
 * to the planned length and refused if it would be longer.
 */
export function lateJson(placeholder: () => unknown, late: () => unknown): ByteSource {
  const planned = Buffer.byteLength(`${JSON.stringify(placeholder(), null, 2)}\n`);
  return {
    size: planned,
    async *stream() {
      const text = `${JSON.stringify(late(), null, 2)}\n`;
      const bytes = Buffer.byteLength(text);
      if (bytes > planned) {
        throw new EmtError('E_INTERNAL', `The build manifest grew from ${planned} to ${bytes} bytes while the media was written.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
      }
      yield Buffer.from(text + ' '.repeat(planned - bytes), 'utf8');
    },
  };
}
