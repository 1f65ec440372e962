/* eslint-disable no-control-regex -- a serial console is full of control characters; matching them is the point. */
/**
 * The serial console as text tests can match: ANSI escapes and carriage returns removed (firmware
 * and systemd draw with them), markers matched in order, fatal patterns caught as they appear.
 */

// ECMA-48 §5.4 control sequences (CSI ... final byte), OSC strings ended by BEL or ST, and the
// two-byte escapes (charset selection `ESC ( B`, `ESC =`, ...).
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][0-~]|\x1b[@-Z\\^_=>78c]/g;
// An escape sequence that may still be incomplete at the end of a chunk.
const PARTIAL_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[()*+])?$/;

/** Strips escapes and `\r` from a stream of text chunks, holding back a sequence split across chunks. */
export class SerialCleaner {
  private held = '';

  push(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    const partial = PARTIAL_ESCAPE.exec(text);
    if (partial) {
      this.held = partial[0];
      text = text.slice(0, partial.index);
    }
    return clean(text);
  }

  /** Whatever was held back, at the end of the stream. */
  flush(): string {
    const rest = clean(this.held);
    this.held = '';
    return rest;
  }
}

export function clean(text: string): string {
  return text.replace(ESCAPES, '').replace(/\r/g, '').replace(/[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g, '');
}

/**
 * Built-in reasons to stop a boot at once. A pattern is left out when one of the markers contains
 * it, so that a test can expect a Secure Boot refusal ("Access Denied") as its outcome.
 */
export const FATAL_PATTERNS: readonly string[] = [
  'Kernel panic',
  'Initramfs unpacking failed',
  'invalid magic',
  'emergency mode',
  'Access Denied',
  'Security Violation',
];

export interface MatchState {
  matched: string[];
  /** The fatal pattern seen, if any (as given, or the RegExp source). */
  fatal: string | null;
  isComplete: boolean;
}

/** Follows the cleaned log: each marker must appear after the previous one. */
export class MarkerMatcher {
  private text = '';
  private cursor = 0;
  private scanned = 0;
  private readonly fatal: (string | RegExp)[];
  readonly matched: string[] = [];
  fatalSeen: string | null = null;

  constructor(
    private readonly markers: readonly string[],
    extraFatal: readonly (string | RegExp)[] = [],
  ) {
    this.fatal = [...FATAL_PATTERNS.filter((p) => !markers.some((m) => m.includes(p))), ...extraFatal];
  }

  get isComplete(): boolean {
    return this.matched.length === this.markers.length;
  }

  get log(): string {
    return this.text;
  }

  push(cleaned: string): MatchState {
    this.text += cleaned;
    while (!this.isComplete) {
      const next = this.markers[this.matched.length]!;
      const at = this.text.indexOf(next, this.cursor);
      if (at < 0) break;
      this.matched.push(next);
      this.cursor = at + next.length;
    }
    if (!this.fatalSeen) {
      // Search only text not searched before, with an overlap for a pattern split across chunks.
      const from = Math.max(0, this.scanned - 200);
      const window = this.text.slice(from);
      for (const p of this.fatal) {
        if (typeof p === 'string' ? window.includes(p) : p.test(window)) {
          this.fatalSeen = typeof p === 'string' ? p : p.source;
          break;
        }
      }
      this.scanned = this.text.length;
    }
    return { matched: [...this.matched], fatal: this.fatalSeen, isComplete: this.isComplete };
  }
}
