import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  readonly file: string;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** Keys whose values never reach the log, wherever they appear (profiles carry passwords and keys). */
const SECRET_KEY = /pass(word|wd)?|secret|token|private|psswd|key$/i;

/** Copies `data` with secret-looking fields replaced, so that a log can be sent to support as it is. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/**
 * The persistent log ("Open logs" in the menu): one JSON object per line, appended synchronously so
 * that the last line before a crash is on disk. When the file passes `maxBytes` it becomes
 * `<file>.1` (the previous `.1` is dropped), so the log never grows without bound.
 */
export function createFileLogger(file: string, options: { maxBytes?: number; now?: () => Date; echo?: (line: string) => void } = {}): Logger {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  mkdirSync(dirname(file), { recursive: true });
  let size = sizeOf(file);
  const write = (level: LogLevel, message: string, data?: Record<string, unknown>): void => {
    const line = `${JSON.stringify({ t: (options.now?.() ?? new Date()).toISOString(), level, message, ...(data ? { data: redact(data) } : {}) })}\n`;
    if (size + line.length > maxBytes && size > 0) {
      renameSync(file, `${file}.1`);
      size = 0;
    }
    appendFileSync(file, line, { mode: 0o600 });
    size += Buffer.byteLength(line);
    options.echo?.(line);
  };
  return {
    file,
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
