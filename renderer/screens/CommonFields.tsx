import { t } from '../i18n';
import { ProfileList, ProfileText } from '../components/ProfileFields';

/** What both modes share: proxies, extra kernel parameters, notes. */
export function CommonFields() {
  const c = t.customize;
  return (
    <>
      <fieldset>
        <legend>{c.network}</legend>
        <ProfileText path={['network', 'proxy', 'http']} label={c.httpProxy} hint={c.proxyHint} />
        <ProfileText path={['network', 'proxy', 'https']} label={c.httpsProxy} />
        <ProfileText path={['network', 'proxy', 'noProxy']} label={c.noProxy} hint={c.noProxyHint} />
      </fieldset>
      <details>
        <summary>{c.advanced}</summary>
        <ProfileList path={['kernel', 'extraArgs']} label={c.kernelArgs} hint={c.kernelArgsHint} separator=" " />
        <ProfileText path={['notes']} label={c.notes} isMultiline />
      </details>
    </>
  );
}
