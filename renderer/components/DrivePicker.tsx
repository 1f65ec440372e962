import { t } from '../i18n';
import { formatBytes } from '../i18n/format';
import { useApp, useAppDerived } from '../state/hooks';
import { hiddenDriveCount, visibleDriveRows, type DriveRow } from '../state/selectors';
import { FindingList } from './FindingList';

function DriveItem({ row, isLocked }: { row: DriveRow; isLocked: boolean }) {
  const toggle = useApp((s) => s.toggleDrive);
  const typed = useApp((s) => s.typedNames[row.listing.drive.device] ?? '');
  const setTyped = useApp((s) => s.setTypedName);
  const { drive } = row.listing;
  const id = `drive-${drive.device.replace(/[^A-Za-z0-9]/g, '-')}`;
  const isBlocked = row.blockers.length > 0;
  const tags = [drive.isSystem ? t.write.systemDrive : null, drive.isReadOnly ? t.write.readOnly : null, drive.isTestTarget ? t.write.testTarget : null].filter(Boolean);
  return (
    <li className={`drive${row.isSelected ? ' drive-selected' : ''}${isBlocked ? ' drive-blocked' : ''}`} data-device={drive.device}>
      <div className="drive-main">
        <input type="checkbox" id={id} checked={row.isSelected} disabled={isLocked || (isBlocked && !row.isSelected)} onChange={() => toggle(drive.device)} aria-describedby={`${id}-facts${isBlocked ? ` ${id}-why` : ''}`} />
        <label htmlFor={id}>
          <span className="drive-name">{drive.name}</span>
          <span className="drive-facts" id={`${id}-facts`}>
            {[formatBytes(drive.size), drive.bus, drive.device, ...tags].join(' · ')}
          </span>
        </label>
      </div>
      {isBlocked && (
        <p className="finding finding-error" id={`${id}-why`}>
          {row.blockers[0]!.message} {row.blockers[0]!.hint}
        </p>
      )}
      {row.isSelected && row.confirm && (
        <div className="confirm-name">
          <label htmlFor={`${id}-name`}>{t.write.typeName(drive.name)}</label>
          <input id={`${id}-name`} value={typed} onChange={(e) => setTyped(drive.device, e.target.value)} autoComplete="off" spellCheck={false} aria-invalid={!row.isNameTyped || undefined} disabled={isLocked} />
        </div>
      )}
      {row.isSelected && <FindingList findings={[...row.warnings, ...row.infos]} />}
    </li>
  );
}

/**
 * The sticks to write. System drives are hidden until asked for and need their name typed; a drive
 * the rules refuse (too small, read-only, holding the running system) stays visible, disabled,
 * with the reason next to it rather than silently missing.
 */
export function DrivePicker({ isLocked }: { isLocked: boolean }) {
  const rows = useAppDerived(['drives', 'selectedDevices', 'typedNames', 'isShowingHiddenDrives'], visibleDriveRows);
  const hidden = useApp(hiddenDriveCount);
  const isShowing = useApp((s) => s.isShowingHiddenDrives);
  const setShowing = useApp((s) => s.setShowHiddenDrives);
  const hasListed = useApp((s) => s.hasListedDrives);
  return (
    <fieldset className="drive-picker">
      <legend>{t.write.drives}</legend>
      {hasListed && rows.length === 0 && <p className="empty">{t.write.noDrives}</p>}
      <ul>
        {rows.map((row) => (
          <DriveItem key={row.listing.drive.device} row={row} isLocked={isLocked} />
        ))}
      </ul>
      {hidden > 0 && (
        <button type="button" className="link-button" onClick={() => setShowing(!isShowing)} aria-expanded={isShowing}>
          {isShowing ? t.write.hideHidden : t.write.showHidden(hidden)}
        </button>
      )}
    </fieldset>
  );
}
