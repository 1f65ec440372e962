import type { Finding } from '../contract/build';

export type { Finding };

/**
 * Findings are data, not exceptions: the GUI shows them inline as the technician types, the CLI
 * prints them all at once. Errors use `E_` codes (the build refuses to start), warnings `W_`.
 * Codes are stable: tests and support staff rely on them.
 */
export class Findings {
  readonly list: Finding[] = [];

  error(code: `E_${string}`, field: string | undefined, message: string, hint: string): void {
    this.list.push({ severity: 'error', code, message, hint, ...(field ? { field } : {}) });
  }

  warn(code: `W_${string}`, field: string | undefined, message: string, hint: string): void {
    this.list.push({ severity: 'warning', code, message, hint, ...(field ? { field } : {}) });
  }

  add(findings: readonly Finding[]): void {
    this.list.push(...findings);
  }

  get hasErrors(): boolean {
    return hasErrors(this.list);
  }
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** `emf.services` + `KEYCLOAK_URL` → `emf.services.KEYCLOAK_URL`. */
export function at(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : `${base}.${key}`;
}
