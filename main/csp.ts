/**
 * Content Security Policy of the UI (Electron security checklist item 7): only the app's own
 * scripts and styles, no eval, no network, no plugins, no framing. Sent as a header by the app
 * protocol; the renderer's index.html carries the same policy as a meta tag for the test bridge.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
