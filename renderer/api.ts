import type { EmtApi } from '../app/contract/api';

declare global {
  interface Window {
    /** Built by the preload from the contract (main/preload.ts), or by the test bridge in e2e runs. */
    readonly emt: EmtApi;
  }
}

export type { EmtApi };
