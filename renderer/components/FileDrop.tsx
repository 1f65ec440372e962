import { useId, useState, type DragEvent } from 'react';
import type { EmbeddedFile } from '../../app/contract/profile';
import type { PickPurpose } from '../../app/contract/api';
import { t } from '../i18n';
import { formatBytes } from '../i18n/format';
import { useApp } from '../state/hooks';
import { useFieldFindings } from './Field';
import { FindingList } from './FindingList';
import { readDroppedFile } from './read-dropped-file';

interface FileDropProps {
  label: string;
  hint?: string;
  /** The profile path of the file (findings about it show here). */
  field: string;
  purpose: PickPurpose;
  file: EmbeddedFile | undefined;
  onChange: (file: EmbeddedFile | undefined) => void;
}

/**
 * A certificate or config file: a button that opens the native dialog (keyboard users) and a zone
 * that takes a dropped file (mouse users). Either way the content goes into the profile and the
 * engine's verdict shows right under it.
 */
export function FileDrop({ label, hint, field, purpose, file, onChange }: FileDropProps) {
  const id = useId();
  const pickFile = useApp((s) => s.pickFile);
  const findings = useFieldFindings(field);
  const [problem, setProblem] = useState<string | null>(null);
  const [isOver, setOver] = useState(false);
  const isInvalid = findings.some((f) => f.severity === 'error') || problem !== null;

  const choose = async (): Promise<void> => {
    const picked = await pickFile(purpose);
    if (!picked) return;
    if (picked.text === undefined) return setProblem(t.files.readError(picked.name));
    setProblem(null);
    onChange({ name: picked.name, content: picked.text });
  };
  const drop = async (e: DragEvent): Promise<void> => {
    e.preventDefault();
    setOver(false);
    const dropped = e.dataTransfer.files[0];
    if (!dropped) return;
    const r = await readDroppedFile(dropped, purpose === 'certificate');
    if (!r.ok) return setProblem(r.reason === 'too-big' ? t.files.tooBig(dropped.name) : t.files.readError(dropped.name));
    setProblem(null);
    onChange(r.file);
  };

  return (
    <div className={`field file-drop${isInvalid ? ' field-invalid' : ''}${isOver ? ' file-drop-over' : ''}`} data-field={field} onDragOver={(e) => (e.preventDefault(), setOver(true))} onDragLeave={() => setOver(false)} onDrop={(e) => void drop(e)}>
      <span className="file-drop-label" id={`${id}-label`}>
        {label}
      </span>
      <div className="file-drop-body">
        <span className="file-drop-name" id={`${id}-name`}>
          {file ? `${file.name} (${formatBytes(new TextEncoder().encode(file.content).length)})` : t.files.none}
        </span>
        <button type="button" onClick={() => void choose()} aria-describedby={`${id}-label ${id}-name${hint ? ` ${id}-hint` : ''}`} aria-invalid={isInvalid || undefined}>
          {file ? t.files.replace : t.files.choose}
        </button>
        {file && (
          <button type="button" className="link-button" onClick={() => onChange(undefined)} aria-describedby={`${id}-label`}>
            {t.files.remove}
          </button>
        )}
        <span className="file-drop-or" aria-hidden="true">
          {t.files.drop}
        </span>
      </div>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {problem && (
        <p className="finding finding-error" role="alert">
          {problem}
        </p>
      )}
      <FindingList findings={findings} />
    </div>
  );
}
