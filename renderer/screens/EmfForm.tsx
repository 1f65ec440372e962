import { EMF_SERVICE_KEYS, type EmfProfile } from '../../app/contract/profile';
import { t } from '../i18n';
import { ProfileCheckbox, ProfileChoice, ProfileFile, ProfileText } from '../components/ProfileFields';
import { useApp } from '../state/hooks';

/** The EMF settings (DOMAIN.md §2): orchestrator, certificates, which NIC onboards, services. */
export function EmfForm() {
  const emf = useApp((s) => (s.profile?.mode === 'emf' ? (s.profile as EmfProfile).emf : null));
  const set = useApp((s) => s.setProfileField);
  if (!emf) return null;
  const e = t.emf;
  return (
    <>
      <fieldset>
        <legend>{e.orchestrator}</legend>
        <ProfileText path={['emf', 'orchestratorDomain']} label={e.domain} hint={e.domainHint} placeholder="orch.example.com" />
        <details>
          <summary>{e.services}</summary>
          {EMF_SERVICE_KEYS.map((key) => (
            <ProfileText key={key} path={['emf', 'services', key]} label={key} />
          ))}
        </details>
      </fieldset>
      <fieldset>
        <legend>{e.certificates}</legend>
        <ProfileFile path={['emf', 'certificates', 'orchestratorCa']} label={e.orchestratorCa} hint={e.orchestratorCaHint} purpose="certificate" />
        <ProfileFile path={['emf', 'certificates', 'provisioningCa']} label={e.provisioningCa} hint={e.provisioningCaHint} purpose="certificate" />
      </fieldset>
      <ProfileChoice
        legend={e.workerId}
        name="worker-id"
        value={emf.workerId.mode}
        options={[
          { value: 'auto', label: e.workerIdAuto, hint: e.workerIdAutoHint },
          { value: 'mac', label: e.workerIdMac, hint: e.workerIdMacHint },
        ]}
        onChoose={(mode) => set(['emf', 'workerId'], mode === 'mac' ? { mode, mac: '' } : { mode })}
      />
      {emf.workerId.mode === 'mac' ? (
        <ProfileText path={['emf', 'workerId', 'mac']} label={e.mac} placeholder="52:54:00:12:34:56" />
      ) : (
        <div className="indent">
          <ProfileText path={['emf', 'workerId', 'interfaceMatch']} label={e.interfaceMatch} hint={e.interfaceMatchHint} />
          <ProfileText path={['emf', 'workerId', 'macPrefix']} label={e.macPrefix} />
        </div>
      )}
      <fieldset>
        <legend>{e.services2}</legend>
        <ProfileChoice
          legend={e.caddy}
          name="caddy"
          value={emf.caddy.source}
          options={[
            { value: 'generate', label: e.generate },
            { value: 'import', label: e.importFiles },
          ]}
          onChoose={(source) => set(['emf', 'caddy'], source === 'generate' ? { source } : { source, caddyfile: undefined, runScript: undefined })}
        />
        {emf.caddy.source === 'import' && (
          <div className="indent">
            <ProfileFile path={['emf', 'caddy', 'caddyfile']} label={e.caddyfile} purpose="config" />
            <ProfileFile path={['emf', 'caddy', 'runScript']} label={e.runScript} purpose="config" />
          </div>
        )}
        <ProfileChoice
          legend={e.fluentBit}
          name="fluent-bit"
          value={emf.fluentBit.source}
          options={[
            { value: 'generate', label: e.generate },
            { value: 'import', label: e.importFiles },
          ]}
          onChoose={(source) => set(['emf', 'fluentBit'], source === 'generate' ? { source } : { source, config: undefined, runScript: undefined, parsers: undefined })}
        />
        {emf.fluentBit.source === 'import' && (
          <div className="indent">
            <ProfileFile path={['emf', 'fluentBit', 'config']} label={e.fluentConfig} purpose="config" />
            <ProfileFile path={['emf', 'fluentBit', 'runScript']} label={e.runScript} purpose="config" />
            <ProfileFile path={['emf', 'fluentBit', 'parsers']} label={e.parsers} purpose="config" />
          </div>
        )}
      </fieldset>
      <details>
        <summary>{e.tink}</summary>
        <ProfileText path={['emf', 'tink', 'workerImage']} label={e.workerImage} />
        <ProfileText path={['emf', 'tink', 'timeout']} label={e.timeout} hint={e.timeoutHint} />
        <ProfileCheckbox path={['emf', 'tink', 'isDebug']} label={e.isDebug} />
      </details>
    </>
  );
}
