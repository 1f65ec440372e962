import { useState, type DragEvent } from 'react';
import { t } from '../i18n';
import { TextField } from '../components/Field';
import { ErrorNotice } from '../components/ErrorNotice';
import { FindingList } from '../components/FindingList';
import { readDroppedFile } from '../components/read-dropped-file';
import { useApp } from '../state/hooks';

/** Name, open, save, save as — and a drop target that imports a profile file someone sent. */
export function ProfileBar() {
  const name = useApp((s) => s.profile?.name ?? '');
  const set = useApp((s) => s.setProfileField);
  const open = useApp((s) => s.openProfile);
  const save = useApp((s) => s.saveProfile);
  const importText = useApp((s) => s.importProfileText);
  const path = useApp((s) => s.profilePath);
  const error = useApp((s) => s.profileError);
  const migratedFrom = useApp((s) => s.migratedFrom);
  const loadFindings = useApp((s) => s.loadFindings);
  const [isOver, setOver] = useState(false);

  const drop = async (e: DragEvent): Promise<void> => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (!f) return;
    const r = await readDroppedFile(f, false);
    if (r.ok) await importText(r.file.content, r.file.name);
  };

  return (
    <div className={`profile-bar${isOver ? ' file-drop-over' : ''}`} onDragOver={(e) => (e.preventDefault(), setOver(true))} onDragLeave={() => setOver(false)} onDrop={(e) => void drop(e)}>
      <h2>{t.customize.profileBar}</h2>
      <TextField label={t.customize.name} field="name" value={name} onChange={(v) => set(['name'], v)} />
      <div className="toolbar">
        <button type="button" onClick={() => void open()}>
          {t.customize.open}
        </button>
        <button type="button" onClick={() => void save(false)}>
          {t.customize.save}
        </button>
        <button type="button" onClick={() => void save(true)}>
          {t.customize.saveAs}
        </button>
        <span className="profile-path">{path}</span>
      </div>
      <p className="field-hint">{t.customize.dropProfile}</p>
      {migratedFrom !== null && <p className="notice notice-info">{t.customize.migrated(migratedFrom)}</p>}
      <FindingList findings={loadFindings} />
      {error && <ErrorNotice error={error} />}
    </div>
  );
}
