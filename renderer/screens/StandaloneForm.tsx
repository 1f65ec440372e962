import type { StandaloneProfile } from '../../app/contract/profile';
import { HOST_TYPES } from '../../app/contract/profile';
import { t } from '../i18n';
import { formatBytes } from '../i18n/format';
import { useFieldFindings } from '../components/Field';
import { FindingList } from '../components/FindingList';
import { ProfileChoice, ProfileFile, ProfileList, ProfileNumber, ProfileSelect, ProfileText } from '../components/ProfileFields';
import { useApp } from '../state/hooks';
import { StandaloneWarnings } from './StandaloneWarnings';

function PathPicker({ label, hint, value, onPick, field, isFolder = false }: { label: string; hint?: string; value: string | undefined; onPick: () => void; field: string; isFolder?: boolean }) {
  const findings = useFieldFindings(field);
  return (
    <div className="field" data-field={field}>
      <span className="file-drop-label">{label}</span>
      <div className="file-drop-body">
        <span className="file-drop-name">{value ?? t.files.none}</span>
        <button type="button" onClick={onPick}>
          {value ? t.files.replace : isFolder ? t.standalone.chooseFolder : t.files.choose}
        </button>
      </div>
      {hint && <p className="field-hint">{hint}</p>}
      <FindingList findings={findings} />
    </div>
  );
}

/** The standalone settings (DOMAIN.md §3): OS image, installer scripts, config-file, user apps. */
export function StandaloneForm() {
  const sa = useApp((s) => (s.profile?.mode === 'standalone' ? (s.profile as StandaloneProfile).standalone : null));
  const set = useApp((s) => s.setProfileField);
  const pickFile = useApp((s) => s.pickFile);
  const pickFolder = useApp((s) => s.pickFolder);
  const importInstaller = useApp((s) => s.importInstaller);
  const installerFindings = useFieldFindings('standalone.installer');
  if (!sa) return null;
  const c = t.standalone;
  const files = sa.installer.files;
  const fieldsPath = ['standalone', 'configFile', 'fields'] as const;
  return (
    <>
      <StandaloneWarnings />
      <PathPicker
        label={c.osImage}
        hint={c.osImageHint}
        field="standalone.osImage"
        value={sa.osImage?.path}
        onPick={() =>
          void pickFile('osImage').then((f) => {
            if (f) set(['standalone', 'osImage'], { path: f.path });
          })
        }
      />
      <fieldset>
        <legend>{c.installer}</legend>
        <p className="field-hint">{c.installerHint}</p>
        <ul className="file-list" aria-label={c.installer}>
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span>
                {f.name} ({formatBytes(new TextEncoder().encode(f.content).length)})
              </span>
              <button type="button" className="link-button" onClick={() => set(['standalone', 'installer', 'files'], files.filter((_, j) => j !== i))}>
                {c.removeFile(f.name)}
              </button>
            </li>
          ))}
        </ul>
        <div className="toolbar">
          <button type="button" onClick={() => void importInstaller('folder')}>
            {c.importFolder}
          </button>
          <button type="button" onClick={() => void importInstaller('tarball')}>
            {c.importTarball}
          </button>
        </div>
        <FindingList findings={installerFindings} />
      </fieldset>
      <ProfileChoice
        legend={c.config}
        name="config-file"
        value={sa.configFile.source}
        options={[
          { value: 'fields', label: c.configFields },
          { value: 'import', label: c.configImport },
        ]}
        onChoose={(source) => set(['standalone', 'configFile'], source === 'fields' ? { source, fields: { hostType: 'container' } } : { source, file: undefined })}
      />
      {sa.configFile.source === 'import' ? (
        <ProfileFile path={['standalone', 'configFile', 'file']} label={c.config} purpose="config" />
      ) : (
        <div className="indent">
          <ProfileText path={[...fieldsPath, 'userName']} label={c.userName} />
          <ProfileSelect path={[...fieldsPath, 'hostType']} label={c.hostType} options={HOST_TYPES.map((h) => ({ value: h, label: c.hostTypes[h] }))} />
          <ProfileText path={[...fieldsPath, 'sshKey']} label={c.sshKey} hint={c.sshKeyHint} isMultiline />
          <fieldset>
            <legend>{c.staticIp}</legend>
            <ProfileText path={[...fieldsPath, 'staticIp', 'address']} label={c.address} placeholder="192.168.1.20" />
            <ProfileNumber path={[...fieldsPath, 'staticIp', 'prefixLength']} label={c.prefixLength} />
            <ProfileText path={[...fieldsPath, 'staticIp', 'gateway']} label={c.gateway} />
            <ProfileList path={[...fieldsPath, 'staticIp', 'dnsServers']} label={c.dns} hint={c.listHint} separator="," />
          </fieldset>
          <ProfileList path={[...fieldsPath, 'ntpServers']} label={c.ntp} hint={c.listHint} separator="," />
          <ProfileNumber path={[...fieldsPath, 'lvmSizeGb']} label={c.lvmSize} />
          <ProfileNumber path={[...fieldsPath, 'hugePages']} label={c.hugePages} />
        </div>
      )}
      <PathPicker
        label={c.userApps}
        hint={c.userAppsHint}
        field="standalone.userAppsDir"
        value={sa.userAppsDir}
        isFolder
        onPick={() =>
          void pickFolder('userApps').then((p) => {
            if (p) set(['standalone', 'userAppsDir'], p);
          })
        }
      />
      <p className="field-hint">{c.passwordNote}</p>
    </>
  );
}
