import { cleanup, render } from '@testing-library/react';
import { afterEach } from 'vitest';
import type { ReactNode } from 'react';
import { StoreContext } from '../state/hooks';
import type { AppStore } from '../state/store';

// Vitest runs without globals here, so Testing Library cannot register its own cleanup.
afterEach(cleanup);

export function renderWith(store: AppStore, ui: ReactNode) {
  return render(<StoreContext.Provider value={store}>{ui}</StoreContext.Provider>);
}
