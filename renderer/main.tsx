import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { StoreContext } from './state/hooks';
import { createAppStore, newJobId } from './state/store';
import './styles/app.css';

const api = window.emt;
const store = createAppStore({ api, newJobId, checkDelayMs: 300 });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App api={api} />
    </StoreContext.Provider>
  </StrictMode>,
);
