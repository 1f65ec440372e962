import { useId } from 'react';
import type { ProgressEvent } from '../../app/contract/jobs';
import { t } from '../i18n';
import { formatBytes, formatDuration, formatSpeed, percent } from '../i18n/format';

/**
 * A long step: phase, bytes, speed and time left. The bar is a native <progress> (screen readers
 * announce its value); the text beside it is not a live region, so that it does not chatter.
 */
export function ProgressBar({ label, event }: { label: string; event: ProgressEvent | null }) {
  const id = useId();
  const speed = event ? formatSpeed(event.bytesPerSecond) : null;
  const eta = event ? formatDuration(event.etaSeconds) : null;
  return (
    <div className="progress">
      <div className="progress-head">
        <span id={id} className="progress-label">
          {label}
        </span>
        <span className="progress-phase">{event ? t.progress.phase(event.phase) : t.progress.waiting}</span>
      </div>
      <progress aria-labelledby={id} max={event?.total || 1} value={event ? Math.min(event.done, event.total || 1) : undefined} />
      {event && (
        <div className="progress-facts">
          <span>{percent(event.done, event.total)}%</span>
          {event.total > 0 && <span>{t.progress.of(formatBytes(event.done), formatBytes(event.total))}</span>}
          {speed && <span>{t.progress.speed(speed)}</span>}
          {eta && <span>{t.progress.eta(eta)}</span>}
        </div>
      )}
    </div>
  );
}
