import { useEffect, type ReactNode } from 'react';
import { t } from './i18n';
import { StepNav } from './components/StepNav';
import { SummaryPanel } from './components/SummaryPanel';
import { WizardFooter } from './components/WizardFooter';
import { useApp, useAppStore } from './state/hooks';
import { connectEvents } from './state/store';
import type { Step, Tool } from './state/wizard-slice';
import type { EmtApi } from './api';
import { ReleaseScreen } from './screens/ReleaseScreen';
import { ModeScreen } from './screens/ModeScreen';
import { CustomizeScreen } from './screens/CustomizeScreen';
import { ReviewScreen } from './screens/ReviewScreen';
import { BuildScreen } from './screens/BuildScreen';
import { WriteScreen } from './screens/WriteScreen';
import { DoneScreen } from './screens/DoneScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { RestoreScreen } from './screens/RestoreScreen';
import { InspectScreen } from './screens/InspectScreen';
import { AboutScreen } from './screens/AboutScreen';

const SCREENS: Record<Step, () => ReactNode> = {
  release: ReleaseScreen,
  mode: ModeScreen,
  customize: CustomizeScreen,
  review: ReviewScreen,
  build: BuildScreen,
  write: WriteScreen,
  done: DoneScreen,
};

const TOOLS: Record<Tool, () => ReactNode> = {
  settings: SettingsScreen,
  inspect: InspectScreen,
  restore: RestoreScreen,
  about: AboutScreen,
};

function Header() {
  const tool = useApp((s) => s.tool);
  const openTool = useApp((s) => s.openTool);
  const closeTool = useApp((s) => s.closeTool);
  const items: Array<[Tool, string]> = [
    ['inspect', t.app.inspect],
    ['restore', t.app.restore],
    ['settings', t.app.settings],
    ['about', t.app.about],
  ];
  return (
    <header className="app-header">
      <a className="skip-link" href="#main">
        {t.app.skipToContent}
      </a>
      <p className="app-title">
        <span className="app-name">{t.app.name}</span> <span className="app-tagline">{t.app.tagline}</span>
      </p>
      <nav aria-label={t.app.tools} className="header-tools">
        {items.map(([id, label]) => (
          <button key={id} type="button" aria-pressed={tool === id} onClick={() => (tool === id ? closeTool() : openTool(id))}>
            {label}
          </button>
        ))}
      </nav>
    </header>
  );
}

export function App({ api }: { api: EmtApi }) {
  const store = useAppStore();
  const step = useApp((s) => s.step);
  const tool = useApp((s) => s.tool);
  const closeTool = useApp((s) => s.closeTool);
  useEffect(() => connectEvents(store, api), [store, api]);
  const Screen = tool ? TOOLS[tool] : SCREENS[step];
  return (
    <div className="app">
      <Header />
      <div className="app-body">
        <StepNav />
        <main id="main" className="app-main">
          {tool && (
            <button type="button" className="close-tool" onClick={closeTool}>
              {t.app.close}
            </button>
          )}
          <Screen key={tool ?? step} />
          {!tool && <WizardFooter />}
        </main>
        <SummaryPanel />
      </div>
    </div>
  );
}
