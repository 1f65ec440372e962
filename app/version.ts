import pkg from '../package.json' with { type: 'json' };

/** The version of EMT Media Builder, as recorded in every build manifest. */
export const TOOL_VERSION: string = pkg.version;
