import { createHash } from 'node:crypto';
import { EmtError } from '../errors';
import type { ByteSource } from '../formats/byte-source';

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
