import type { Findings } from '../findings';

/** Key types OpenSSH accepts in authorized_keys (ssh-dss is gone since OpenSSH 9.8, so not here). */
const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * One `authorized_keys` line: `<type> <base64 blob> [comment]`. The blob starts with the type
 * again as an SSH string (RFC 4253 §6.6), which catches keys cut while copying.
 */
export function checkSshPublicKey(f: Findings, field: string, line: string): void {
  const hint = 'Paste the whole line of your .pub file (e.g. the output of: cat ~/.ssh/id_ed25519.pub).';
  if (/PRIVATE KEY/.test(line)) {
    f.error('E_SSH_KEY_PRIVATE', field, 'The SSH key field holds a private key. It is refused: it would be readable on the stick.', 'Paste the public key (the .pub file), never the private one.');
    return;
  }
  if (/[\r\n]/.test(line.trim())) {
    f.error('E_SSH_KEY', field, 'The SSH public key spans several lines; it must be one line.', hint);
    return;
  }
  const [type, blob] = line.trim().split(/\s+/);
  if (!type || !KEY_TYPES.has(type) || !blob) {
    f.error('E_SSH_KEY', field, `The SSH public key does not start with a known key type (${type ? `"${type.slice(0, 30)}"` : 'empty'}).`, hint);
    return;
  }
  if (line.includes('"')) {
    f.error('E_SSH_KEY', field, 'The SSH public key contains a double quote, which breaks the config-file line it is written to.', 'Remove the quotes (and any options before the key type).');
    return;
  }
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : null;
  const inner = bytes && bytes.length > 4 ? bytes.subarray(4, 4 + bytes.readUInt32BE(0)).toString('latin1') : null;
  if (inner !== type) {
    f.error('E_SSH_KEY', field, `The SSH public key's data does not match its type ${type}; it may have been cut or changed while copying.`, hint);
  }
}
