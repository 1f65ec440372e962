import { connect, type Socket } from 'node:net';
import { EmtError, cancelledError } from '../errors';
import type { BlockPiece } from '../flash/extents';

/** Where the writer takes the covered bytes of the source from, piece by piece, in order. */
export interface SourceReader {
  /** Fill buf at piece.bufOffset with the source bytes of piece [offset, offset+length). */
  readPiece(buf: Buffer, piece: BlockPiece, signal: AbortSignal): Promise<void>;
  /** The source must end exactly where the job said it would. */
  expectEnd(): Promise<void>;
  close(): void;
}

/**
 * The writer's end of the data channel: it connects to the socket the unprivileged side listens
 * on, proves who it is with the one-time token, and then reads exactly the bytes the job
 * announced (the covered bytes, in order, so piece offsets are implied). Reading only when a
 * buffer is free is the backpressure that reaches the source.
 */
export class SocketReader implements SourceReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private rest: Buffer = Buffer.alloc(0);
  received = 0;

  private constructor(private readonly socket: Socket) {
    this.chunks = (socket as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  static async connect(path: string, token: string, signal: AbortSignal): Promise<SocketReader> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (e) =>
        reject(new EmtError('E_DATA_CHANNEL', `The writer could not reach the image data (${(e as Error).message}).`, 'Try again; if it persists, report it with this message.', { cause: e })),
      );
    });
    socket.write(`${token}\n`);
    const reader = new SocketReader(socket);
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    return reader;
  }

  async readPiece(buf: Buffer, piece: BlockPiece, signal: AbortSignal): Promise<void> {
    let offset = piece.bufOffset;
    let length = piece.length;
    while (length > 0) {
      if (this.rest.length === 0) {
        const next = await this.chunks.next().catch((e: unknown) => {
          if (signal.aborted) throw cancelledError();
          throw e;
        });
        if (signal.aborted) throw cancelledError();
        if (next.done) {
          throw new EmtError('E_SOURCE_ENDED', `The image data ended after ${this.received} bytes, before the end of the image.`, 'The build or the image file stopped early; fix that and write again.');
        }
        this.rest = next.value;
      }
      const n = Math.min(length, this.rest.length);
      this.rest.copy(buf, offset, 0, n);
      this.rest = this.rest.subarray(n);
      offset += n;
      length -= n;
      this.received += n;
    }
  }

  async expectEnd(): Promise<void> {
    const next = this.rest.length > 0 ? { done: false } : await this.chunks.next();
    if (!next.done) {
      throw new EmtError('E_SOURCE_SIZE', `The image data went on past the announced ${this.received} bytes.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
