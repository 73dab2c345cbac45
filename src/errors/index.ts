/**
 * The one error hierarchy of canvas-sync, by family, and the redaction every layer uses. The
 * bottom layer: it imports nothing else of the library.
 *
 * @module
 */
export * from './base.js';
export type { SanitizedError } from './cause.js';
export * from './client-errors.js';
export * from './options-error.js';
export * from './request-errors.js';
export {
  CanvasValidationError,
  issuesFromZod,
  type ValidationIssue,
} from './validation-error.js';
