import { useEffect, useState } from 'react';
import type { Settings } from '../../app/contract/settings';
import { t } from '../i18n';
import { TextField } from '../components/Field';
import { ErrorNotice } from '../components/ErrorNotice';
import { ScreenHeading } from '../components/ScreenHeading';
import { BootChainDetails } from '../components/BootChainDetails';
import { useApp } from '../state/hooks';

const GIB = 1024 ** 3;
const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** The settings as text boxes; saved together, checked by the engine, refused with the reason. */
function SettingsForm({ settings, defaultCacheDir }: { settings: Settings; defaultCacheDir: string }) {
  const save = useApp((s) => s.saveSettings);
  const isSaving = useApp((s) => s.isSavingSettings);
  const [cacheDir, setCacheDir] = useState(settings.cacheDir ?? '');
  const [limit, setLimit] = useState(settings.cacheLimitBytes === null ? '' : String(Math.round(settings.cacheLimitBytes / GIB)));
  const [proxyMode, setProxyMode] = useState(settings.proxy.mode);
  const [proxyUrl, setProxyUrl] = useState(settings.proxy.url);
  const [noProxy, setNoProxy] = useState(settings.proxy.noProxy);
  const [catalogs, setCatalogs] = useState(settings.catalogs.join('\n'));
  const [keys, setKeys] = useState(settings.trustedCatalogKeys.join('\n'));
  const [targets, setTargets] = useState(settings.testTargets.join('\n'));
  const [isSaved, setSaved] = useState(false);
  const s = t.settings;
  const submit = async (): Promise<void> => {
    const gib = Number(limit);
    setSaved(
      await save({
        cacheDir: cacheDir.trim() || null,
        cacheLimitBytes: limit.trim() === '' || !Number.isFinite(gib) || gib <= 0 ? null : Math.round(gib * GIB),
        proxy: { mode: proxyMode, url: proxyUrl.trim(), noProxy: noProxy.trim() },
        catalogs: lines(catalogs),
        trustedCatalogKeys: keys.split(/\n(?=\S)/).map((k) => k.trim()).filter(Boolean),
        testTargets: lines(targets),
      }),
    );
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <TextField label={s.cacheDir} hint={s.cacheDirDefault(defaultCacheDir)} value={cacheDir} onChange={setCacheDir} />
      <TextField label={s.cacheLimit} hint={s.cacheLimitHint} value={limit} onChange={setLimit} type="number" />
      <fieldset>
        <legend>{s.proxy}</legend>
        {(['system', 'manual', 'none'] as const).map((m) => (
          <div key={m} className="choice-option">
            <input type="radio" id={`proxy-${m}`} name="proxy-mode" checked={proxyMode === m} onChange={() => setProxyMode(m)} />
            <label htmlFor={`proxy-${m}`}>{s.proxyModes[m]}</label>
          </div>
        ))}
        {proxyMode === 'manual' && (
          <>
            <TextField label={s.proxyUrl} value={proxyUrl} onChange={setProxyUrl} placeholder="http://proxy.example.com:3128" />
            <TextField label={s.noProxy} value={noProxy} onChange={setNoProxy} />
          </>
        )}
      </fieldset>
      <TextField label={s.catalogs} hint={s.catalogsHint} value={catalogs} onChange={setCatalogs} isMultiline />
      <TextField label={s.trustedKeys} hint={s.trustedKeysHint} value={keys} onChange={setKeys} isMultiline />
      <TextField label={s.testTargets} hint={s.testTargetsHint} value={targets} onChange={setTargets} isMultiline />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={isSaving}>
          {s.save}
        </button>
      </div>
      <div role="status">{isSaved && <p>{s.saved}</p>}</div>
    </form>
  );
}

/**
 * The signed boot chain, saved at once when chosen (it is read and judged first): a folder, not a
 * line of text, so it is picked in the folder dialog rather than typed into the form.
 */
function BootChainSetting() {
  const dir = useApp((s) => s.settings?.settings.bootChainDir ?? null);
  const chain = useApp((s) => s.bootChain);
  const error = useApp((s) => s.bootChainError);
  const load = useApp((s) => s.loadBootChain);
  const choose = useApp((s) => s.chooseBootChain);
  const clear = useApp((s) => s.clearBootChain);
  useEffect(() => {
    void load();
  }, [load, dir]);
  const s = t.settings;
  return (
    <section aria-labelledby="secure-boot-title" className="settings-section">
      <h2 id="secure-boot-title">{s.secureBoot}</h2>
      <p className="field-hint">{s.bootChainHint}</p>
      <p>
        <strong>{s.bootChainDir}:</strong> <code data-testid="boot-chain-dir">{dir ?? s.noBootChain}</code>
      </p>
      {chain && <BootChainDetails chain={chain} />}
      <div className="toolbar">
        <button type="button" onClick={() => void choose()}>
          {s.chooseFolder}
        </button>
        {dir && (
          <button type="button" onClick={() => void clear()}>
            {s.removeBootChain}
          </button>
        )}
      </div>
      {error && <ErrorNotice error={error} />}
    </section>
  );
}

export function SettingsScreen() {
  const info = useApp((s) => s.settings);
  const error = useApp((s) => s.settingsError);
  const load = useApp((s) => s.loadSettings);
  const openLogs = useApp((s) => s.openLogs);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={t.settings.title} />
      {info && <p className="field-hint">{t.settings.file(info.file)}</p>}
      {error && <ErrorNotice error={error} />}
      {info && <SettingsForm key={info.file} settings={info.settings} defaultCacheDir={info.cacheDir} />}
      {info && <BootChainSetting />}
      <button type="button" onClick={() => void openLogs()}>
        {t.settings.openLogs}
      </button>
    </section>
  );
}
