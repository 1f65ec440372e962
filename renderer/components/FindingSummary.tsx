import type { Finding } from '../../app/contract/build';
import { t } from '../i18n';

/** The form control that shows a field, or the nearest enclosing one (`kernel.extraArgs[2]` → `kernel.extraArgs`). */
export function focusField(field: string): boolean {
  let f = field;
  while (f) {
    const control = document.querySelector(`[data-field="${f.replace(/["\\]/g, '\\$&')}"]`)?.querySelector<HTMLElement>('input, select, textarea, button');
    if (control) {
      control.focus();
      return true;
    }
    const parent = f.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
    if (parent === f) break;
    f = parent;
  }
  return false;
}

/**
 * Every finding of the profile at the top of the form, each with a button that moves the focus to
 * its field: one place to see all that is left to do, then a jump to each (the inline message is
 * there too).
 */
export function FindingSummary({ findings }: { findings: readonly Finding[] }) {
  if (findings.length === 0) return null;
  return (
    <ul className="findings finding-summary">
      {findings.map((f, i) => (
        <li key={`${f.code}-${f.field ?? ''}-${i}`} className={`finding finding-${f.severity}`} data-code={f.code}>
          <span className="finding-severity">{t.review.severity[f.severity]}:</span> {f.message} <span className="finding-hint">{f.hint}</span>
          {f.field && (
            <button type="button" className="link-button" onClick={() => focusField(f.field!)}>
              {t.customize.goToField}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
