import { useState } from 'react';
import type { RestoreFilesystem } from '../../app/contract/drives';
import { t } from '../i18n';
import { DrivePicker } from '../components/DrivePicker';
import { TextField } from '../components/Field';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp, useAppDerived } from '../state/hooks';
import { jobEvent, selectedTargets } from '../state/selectors';
import { useDrivePolling, useOwnDriveSelection } from '../components/use-drive-polling';

/** Erase a stick back to one ordinary partition (what people need after a hybrid ISO on Windows). */
export function RestoreScreen() {
  const job = useApp((s) => s.restoreJob);
  const isRunning = job?.status === 'running';
  const event = useApp((s) => jobEvent(s, s.restoreJob?.status === 'running' ? s.restoreJob.jobId : undefined));
  const targets = useAppDerived(['drives', 'selectedDevices', 'typedNames'], selectedTargets);
  const result = useApp((s) => s.restoreResult);
  const restore = useApp((s) => s.restore);
  const cancel = useApp((s) => s.cancelJob);
  const isEjecting = useApp((s) => s.isEjecting);
  const hasAccepted = useApp((s) => s.hasAcceptedWarnings);
  const [filesystem, setFilesystem] = useState<RestoreFilesystem>('fat32');
  const [label, setLabel] = useState('USB');
  const r = t.restore;
  useDrivePolling(isRunning);
  useOwnDriveSelection();
  const target = targets.length === 1 ? targets[0]! : null;
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={r.title} />
      <p>{r.intro}</p>
      <DrivePicker isLocked={isRunning} />
      <fieldset>
        <legend>{r.filesystem}</legend>
        {(['fat32', 'exfat'] as const).map((fs) => (
          <div key={fs} className="choice-option">
            <input type="radio" id={`fs-${fs}`} name="restore-fs" checked={filesystem === fs} onChange={() => setFilesystem(fs)} />
            <label htmlFor={`fs-${fs}`}>{r[fs]}</label>
          </div>
        ))}
      </fieldset>
      <TextField label={r.label} value={label} onChange={(v) => setLabel(v.slice(0, 11))} />
      <div className="toolbar">
        {!isRunning ? (
          <button type="button" className="primary" disabled={!target || label.trim() === ''} onClick={() => target && void restore({ target, filesystem, label: label.trim(), eject: isEjecting, acceptWarnings: hasAccepted })}>
            {r.start}
          </button>
        ) : (
          <button type="button" onClick={() => void cancel(job.jobId)}>
            {t.app.cancel}
          </button>
        )}
      </div>
      {isRunning && <ProgressBar label={r.title} event={event} />}
      {job?.status === 'failed' && job.error && <ErrorNotice error={job.error} />}
      <div role="status">{result && <p className="notice notice-success">{r.done(result.name)}</p>}</div>
    </section>
  );
}
