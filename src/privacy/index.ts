/**
 * The FERPA sanitizer and the Canvas PII field catalog it follows. Public names, exported one by
 * one (re-exported from the package root).
 *
 * @module
 */
export {
  type PiiAction,
  type PiiCategory,
  type PiiFieldEntry,
  type PiiObjectType,
  personMarkerFields,
  personObjectKeys,
  piiActions,
  piiCatalog,
  renderPiiCatalogMarkdown,
} from './catalog.js';
export { FerpaSanitizer, REDACTED } from './ferpa-sanitizer.js';
export { EMAIL_MARKER } from './free-text.js';
export { MIN_KEY_BYTES } from './pseudonymizer.js';
export {
  CanvasSanitizeError,
  type CanvasSanitizeErrorOptions,
  type SanitizeFailureReason,
} from './sanitize-error.js';
export type { FerpaSanitizerOptions, FreeTextPolicy } from './sanitizer-options.js';
