import { inspect } from 'node:util';
import { containsPrivateKey } from './checks/certificate';

/**
 * Keys that name a secret. A profile is shared by mail and kept in ticket systems, so a file that
 * has one is refused on load and never written: passwords are supplied at build time only.
 */
const SECRET_KEY = /^(?:password|passwd|psswd|pwd|passphrase|secret|client_?secret|token|access_?token|api_?key|private_?key)$|(?:_password|Password|_secret|Secret|_token|Token)$/i;

export interface SecretPlaces {
  /** Paths of keys that name a secret (`standalone.password`). */
  keys: string[];
  /** Paths of strings that hold a PEM private key. */
  privateKeys: string[];
}

export function findSecrets(value: unknown, path = ''): SecretPlaces {
  const found: SecretPlaces = { keys: [], privateKeys: [] };
  walk(value, path, found);
  return found;
}

function walk(value: unknown, path: string, found: SecretPlaces): void {
  if (typeof value === 'string') {
    if (containsPrivateKey(value)) found.privateKeys.push(path || '(root)');
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, found));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (SECRET_KEY.test(k)) found.keys.push(p);
      walk(v, p, found);
    }
  }
}

/**
 * A secret held in memory for the one place that needs it (the standalone `.psswd`). It prints as
 * [secret] in logs, JSON, summaries and the Node inspector, so passing it around cannot leak it.
 */
export class SecretText {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
