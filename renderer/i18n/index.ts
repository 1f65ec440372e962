import { en, type Catalog } from './en';

/** The catalog in use. English only for now; a translation plugs in here by the browser's language. */
export const t: Catalog = en;
export type { Catalog };
