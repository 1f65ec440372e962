import { useEffect, useState } from 'react';
import type { EmbeddedFile } from '../../app/contract/profile';
import type { PickPurpose } from '../../app/contract/api';
import { useApp } from '../state/hooks';
import { fieldName, getIn, type Path } from '../state/profile-edit';
import { FieldFrame, TextField } from './Field';
import { FileDrop } from './FileDrop';

/** Form controls bound to a path of the profile: they read it from the store and write it back. */

function useProfileValue(path: Path): [unknown, (v: unknown) => void] {
  const value = useApp((s) => getIn(s.profile, path));
  const set = useApp((s) => s.setProfileField);
  return [value, (v) => set(path, v)];
}

export function ProfileText({ path, label, hint, type, isMultiline, placeholder }: { path: Path; label: string; hint?: string; type?: 'text' | 'url'; isMultiline?: boolean; placeholder?: string }) {
  const [value, set] = useProfileValue(path);
  return <TextField label={label} hint={hint} field={fieldName(path)} value={typeof value === 'string' ? value : ''} onChange={(v) => set(v === '' ? undefined : v)} type={type} isMultiline={isMultiline} placeholder={placeholder} />;
}

/** A whole number; an empty box removes the setting, anything else that is not a number is kept as typed for the engine to flag. */
export function ProfileNumber({ path, label, hint }: { path: Path; label: string; hint?: string }) {
  const [value, set] = useProfileValue(path);
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    if (value === undefined ? text !== '' : Number(text) !== value) setText(value === undefined ? '' : String(value));
    // Only an outside change (a loaded profile) resets the box; typing keeps its own text.
  }, [value]);
  return (
    <TextField
      label={label}
      hint={hint}
      field={fieldName(path)}
      value={text}
      type="number"
      onChange={(v) => {
        setText(v);
        set(v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
      }}
    />
  );
}

/**
 * A list typed as text (comma- or space-separated). The box keeps exactly what was typed, so a
 * trailing comma does not vanish under the cursor; the profile gets the parsed list.
 */
export function ProfileList({ path, label, hint, separator, isMultiline }: { path: Path; label: string; hint?: string; separator: ',' | ' '; isMultiline?: boolean }) {
  const [value, set] = useProfileValue(path);
  const list = Array.isArray(value) ? (value as string[]) : [];
  const joiner = separator === ',' ? ', ' : ' ';
  const [text, setText] = useState(list.join(joiner));
  const parse = (s: string): string[] => s.split(separator === ',' ? ',' : /\s+/).map((x) => x.trim()).filter(Boolean);
  useEffect(() => {
    if (parse(text).join('\n') !== list.join('\n')) setText(list.join(joiner));
  }, [list.join('\n')]);
  return (
    <TextField
      label={label}
      hint={hint}
      field={fieldName(path)}
      value={text}
      isMultiline={isMultiline}
      onChange={(v) => {
        setText(v);
        const items = parse(v);
        set(items.length ? items : undefined);
      }}
    />
  );
}

export function ProfileFile({ path, label, hint, purpose }: { path: Path; label: string; hint?: string; purpose: PickPurpose }) {
  const [value, set] = useProfileValue(path);
  return <FileDrop label={label} hint={hint} field={fieldName(path)} purpose={purpose} file={value as EmbeddedFile | undefined} onChange={set} />;
}

export function ProfileCheckbox({ path, label }: { path: Path; label: string }) {
  const [value, set] = useProfileValue(path);
  return (
    <FieldFrame label={label} field={fieldName(path)}>
      {({ inputId, describedBy }) => <input id={inputId} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked ? true : undefined)} aria-describedby={describedBy} />}
    </FieldFrame>
  );
}

export function ProfileSelect<T extends string>({ path, label, options }: { path: Path; label: string; options: ReadonlyArray<{ value: T; label: string }> }) {
  const [value, set] = useProfileValue(path);
  return (
    <FieldFrame label={label} field={fieldName(path)}>
      {({ inputId, describedBy, isInvalid }) => (
        <select id={inputId} value={typeof value === 'string' ? value : ''} onChange={(e) => set(e.target.value || undefined)} aria-describedby={describedBy} aria-invalid={isInvalid || undefined}>
          <option value="">—</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldFrame>
  );
}

/** Radio buttons that switch a discriminated part of the profile (`source: generate | import`). */
export function ProfileChoice<T extends string>({ legend, name, value, options, onChoose }: { legend: string; name: string; value: T; options: ReadonlyArray<{ value: T; label: string; hint?: string }>; onChoose: (v: T) => void }) {
  return (
    <fieldset className="choice">
      <legend>{legend}</legend>
      {options.map((o) => (
        <div key={o.value} className="choice-option">
          <input type="radio" id={`${name}-${o.value}`} name={name} checked={value === o.value} onChange={() => onChoose(o.value)} aria-describedby={o.hint ? `${name}-${o.value}-hint` : undefined} />
          <label htmlFor={`${name}-${o.value}`}>{o.label}</label>
          {o.hint && (
            <p className="field-hint" id={`${name}-${o.value}-hint`}>
              {o.hint}
            </p>
          )}
        </div>
      ))}
    </fieldset>
  );
}
