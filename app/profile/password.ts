import type { Findings } from './findings';
import type { SecretText } from './secrets';

/**
 * The standalone user's password, as upstream's install-os.sh uses it: read from .psswd with
 * `cut -d '=' -f2` (so it ends at the first "="), then expanded inside `"user:$passwd"` in a
 * heredoc run by bash (so ", $, ` and \ change it). The password itself never appears in a finding.
 */
export function checkPassword(f: Findings, password: SecretText): void {
  const pw = password.reveal();
  const field = 'password';
  if (pw === '') {
    f.error('E_PASSWORD_EMPTY', field, 'The password is empty; the installer would create a user nobody can log in as.', 'Enter a password.');
    return;
  }
  // eslint-disable-next-line no-control-regex
  if (/[="$`\\\x00-\x1f\x7f]/.test(pw)) {
    f.error(
      'E_PASSWORD_CHARS',
      field,
      'The password contains =, ", $, `, \\ or a control character; the standalone installer would cut or change it, and the login would fail.',
      'Choose a password without these characters (letters, digits and other punctuation are fine).',
    );
  }
  if (pw.length < 8) f.warn('W_PASSWORD_SHORT', field, `The password has only ${pw.length} characters.`, 'Use at least 8 characters; the node may be reachable over SSH.');
}
