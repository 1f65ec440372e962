import type { ErrorInfo } from '../../app/contract/jobs';
import { t } from '../i18n';

/** A failure as the engine reported it: what happened, and what to do about it. Announced at once. */
export function ErrorNotice({ error, onRetry }: { error: ErrorInfo; onRetry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert" data-code={error.code}>
      <p className="notice-message">{error.message}</p>
      <p className="notice-hint">
        <strong>{t.app.fix}</strong> {error.hint}
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t.app.retry}
        </button>
      )}
    </div>
  );
}
