import { useEffect } from 'react';
import { t } from '../i18n';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp } from '../state/hooks';

export const DOCS_URL = 'https://github.com/open-edge-platform/edge-microvisor-toolkit';

export function AboutScreen() {
  const info = useApp((s) => s.appInfo);
  const load = useApp((s) => s.loadSettings);
  const openLink = useApp((s) => s.openLink);
  const openLogs = useApp((s) => s.openLogs);
  useEffect(() => {
    if (!info) void load();
  }, [info, load]);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={t.about.title} />
      <p>{t.app.tagline}</p>
      {info && (
        <>
          <p>{t.about.version(info.version)}</p>
          <p>{t.about.logs(info.logFile)}</p>
        </>
      )}
      <div className="toolbar">
        <button type="button" onClick={() => void openLogs()}>
          {t.settings.openLogs}
        </button>
        <button type="button" onClick={() => void openLink(DOCS_URL)}>
          {t.about.docs}
        </button>
      </div>
    </section>
  );
}
