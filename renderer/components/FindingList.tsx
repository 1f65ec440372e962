import { t } from '../i18n';

/** Profile findings and drive safety findings alike. */
export interface ShownFinding {
  severity: 'error' | 'warning' | 'info' | 'confirm';
  code: string;
  message: string;
  hint: string;
}

const ORDER: Record<ShownFinding['severity'], number> = { error: 0, confirm: 1, warning: 2, info: 3 };

/** Findings with their severity in words (never colour alone), the message and the fix; what must be fixed first. */
export function FindingList({ findings, id }: { findings: readonly ShownFinding[]; id?: string }) {
  if (findings.length === 0) return null;
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return (
    <ul className="findings" id={id}>
      {sorted.map((f, i) => (
        <li key={`${f.code}-${i}`} className={`finding finding-${f.severity}`} data-code={f.code}>
          <span className="finding-severity">{t.review.severity[f.severity]}:</span> {f.message} <span className="finding-hint">{f.hint}</span>
        </li>
      ))}
    </ul>
  );
}
