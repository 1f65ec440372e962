import { useId, type ReactNode } from 'react';
import { useAppShallow } from '../state/hooks';
import { findingsFor, profileFindings } from '../state/selectors';
import { FindingList } from './FindingList';

/** The engine's findings about one profile field (exact path, or anything inside it). */
export function useFieldFindings(field: string | undefined) {
  return useAppShallow((s) => (field ? findingsFor(profileFindings(s), field) : []));
}

interface FieldFrameProps {
  label: string;
  hint?: string;
  /** The profile path the engine's findings use (`emf.orchestratorDomain`). */
  field?: string;
  children: (ids: { inputId: string; describedBy: string | undefined; isInvalid: boolean }) => ReactNode;
}

/** Label, control, hint and inline findings, wired for screen readers (aria-describedby, aria-invalid). */
export function FieldFrame({ label, hint, field, children }: FieldFrameProps) {
  const inputId = useId();
  const hintId = `${inputId}-hint`;
  const findingsId = `${inputId}-findings`;
  const findings = useFieldFindings(field);
  const isInvalid = findings.some((f) => f.severity === 'error');
  const describedBy = [hint ? hintId : null, findings.length ? findingsId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${isInvalid ? ' field-invalid' : ''}`} data-field={field}>
      <label htmlFor={inputId}>{label}</label>
      {children({ inputId, describedBy, isInvalid })}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      <FindingList findings={findings} id={findingsId} />
    </div>
  );
}

interface TextFieldProps {
  label: string;
  hint?: string;
  field?: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'password' | 'number' | 'url';
  isMultiline?: boolean;
  placeholder?: string;
  autoComplete?: string;
}

export function TextField({ label, hint, field, value, onChange, type = 'text', isMultiline, placeholder, autoComplete = 'off' }: TextFieldProps) {
  return (
    <FieldFrame label={label} hint={hint} field={field}>
      {({ inputId, describedBy, isInvalid }) =>
        isMultiline ? (
          <textarea id={inputId} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} aria-invalid={isInvalid || undefined} placeholder={placeholder} rows={4} spellCheck={false} />
        ) : (
          <input
            id={inputId}
            type={type}
            value={value}
            onChange={(e) => onChange(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={isInvalid || undefined}
            placeholder={placeholder}
            autoComplete={autoComplete}
            spellCheck={false}
          />
        )
      }
    </FieldFrame>
  );
}
