import { t } from '../i18n';

/**
 * What a standalone stick does that nobody may miss: it erases the node's disks without asking,
 * and it carries the user's password in plain text. Said plainly wherever the stick is prepared.
 */
export function StandaloneWarnings() {
  const sa = t.standalone;
  return (
    <div className="notice notice-warning standalone-warnings" role="note" aria-label={sa.warningsTitle}>
      <p>
        <strong>{sa.wipeWarning}</strong>
      </p>
      <p>{sa.plainPasswordWarning}</p>
    </div>
  );
}
