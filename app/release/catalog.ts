import defaultCatalogJson from '../../assets/catalog/default.json' with { type: 'json' };
import { CatalogSchema, type Catalog, type CatalogRelease, type CatalogSource } from '../contract/catalog';
import { EmtError } from '../errors';

/**
 * Catalog documents: parsing with messages that say where a catalog is wrong, the catalog built
 * into the app, and merging several catalogs into one list of releases.
 */
export interface LoadedCatalog {
  source: CatalogSource;
  /** Null when the catalog was refused or could not be read (the source says why). */
  catalog: Catalog | null;
}

export interface MergedRelease {
  release: CatalogRelease;
  sources: string[];
  warnings: string[];
}

export function parseCatalog(bytes: Buffer | string, location: string): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw new EmtError('E_CATALOG_INVALID', `The catalog ${location} is not valid JSON (${(e as Error).message}).`, 'Check that the address points at a release catalog, not at a web page; ask whoever publishes it.', {
      cause: e,
    });
  }
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw new EmtError('E_CATALOG_INVALID', `The catalog ${location} is not a valid release catalog${where}: ${issue.message}.`, 'Ask whoever publishes the catalog to fix it (schemaVersion 1 is expected).', {
      details: { issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

let builtIn: Catalog | null = null;

/** The catalog shipped inside the app (assets/catalog/default.json): trusted because it is the app. */
export function builtInCatalog(): LoadedCatalog {
  builtIn ??= parseCatalog(JSON.stringify(defaultCatalogJson), 'built into the app');
  return {
    catalog: builtIn,
    source: { kind: 'built-in', location: 'built-in', name: builtIn.name, status: 'ok', signature: 'built-in', isFromCache: false, releaseCount: builtIn.releases.length },
  };
}

/**
 * One list from several catalogs, in order. The first catalog that lists an id decides its URL;
 * a later one may add a sha256 or a size the first lacks (that only makes verification stricter),
 * but a different URL or a different hash is reported as a warning and ignored.
 */
export function mergeCatalogs(loaded: readonly LoadedCatalog[]): MergedRelease[] {
  const byId = new Map<string, MergedRelease>();
  for (const { catalog, source } of loaded) {
    if (!catalog) continue;
    for (const r of catalog.releases) {
      const seen = byId.get(r.id);
      if (!seen) {
        byId.set(r.id, { release: r, sources: [source.name], warnings: [] });
        continue;
      }
      seen.sources.push(source.name);
      const first = seen.release;
      if (r.url !== first.url || r.kind !== first.kind) {
        seen.warnings.push(`"${source.name}" lists ${r.id} at another address (${r.url}); the one from "${seen.sources[0]}" is used.`);
        continue;
      }
      if (r.sha256 && first.sha256 && r.sha256 !== first.sha256) {
        seen.warnings.push(`"${source.name}" expects another sha256 for ${r.id}; the one from "${seen.sources[0]}" is used.`);
      } else if (r.sha256 && !first.sha256) {
        seen.release = { ...seen.release, sha256: r.sha256 };
      }
      if (r.size && first.size && r.size !== first.size) {
        seen.warnings.push(`"${source.name}" expects another size for ${r.id}; the one from "${seen.sources[0]}" is used.`);
      } else if (r.size && !first.size) {
        seen.release = { ...seen.release, size: r.size };
      }
    }
  }
  return [...byId.values()];
}
