import { t } from '../i18n';
import { useApp } from '../state/hooks';
import { nextStep, previousStep, stepBlock } from '../state/selectors';

/** Back and Next. When Next cannot be used yet, the reason is written beside it, not hidden in a tooltip. */
export function WizardFooter() {
  const step = useApp((s) => s.step);
  const goTo = useApp((s) => s.goTo);
  const next = nextStep(step);
  const prev = previousStep(step);
  const block = useApp((s) => (next ? stepBlock(s, next) : null));
  // Build and Write move on by themselves when their job succeeds; Done is the end.
  const hasNext = next !== null && step !== 'build' && step !== 'write';
  return (
    <div className="wizard-footer">
      {prev && step !== 'done' && (
        <button type="button" onClick={() => goTo(prev)}>
          {t.steps.back}
        </button>
      )}
      {hasNext && (
        <>
          {block && (
            <p className="footer-reason" id="next-reason">
              {t.steps.blocked[block]}
            </p>
          )}
          <button type="button" className="primary" onClick={() => goTo(next)} disabled={block !== null} aria-describedby={block ? 'next-reason' : undefined}>
            {t.steps.next}
          </button>
        </>
      )}
    </div>
  );
}
