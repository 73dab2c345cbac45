/**
 * Test support for canvas-sync and for its users' own integration tests: a
 * Canvas LMS simulator that throttles, paginates and fails like the real one.
 *
 * @packageDocumentation
 */
export type { BucketSettings } from './simulator/bucket.js';
export { LeakyBucket } from './simulator/bucket.js';
export type { CanvasSimulator } from './simulator/canvas-simulator.js';
export type * from './simulator/canvas-types.js';
export type {
  SimulatorChangeCounts,
  SimulatorChangeOptions,
  SimulatorChangeReport,
  SimulatorCollectionChange,
  SimulatorEnrollmentRef,
  SimulatorEntryRef,
  SimulatorPageViewRef,
  SimulatorSubmissionRef,
} from './simulator/change-types.js';
export type {
  Institution,
  InstitutionOptions,
  LazyList,
  PageViewRange,
  ResolvedInstitutionOptions,
  SubmissionIncludes,
} from './simulator/data.js';
export { createInstitution, defaultInstitutionOptions } from './simulator/data.js';
export type { FaultCounts, FaultKind } from './simulator/faults.js';
export type {
  CanvasSimulatorOptions,
  EndpointName,
  EndpointSettings,
  ForbiddenRule,
  OAuthClientOptions,
  RequestModel,
  SimulatedInstitutionOptions,
  SimulatedRequest,
  SimulatorFaults,
  TransitJitter,
} from './simulator/options.js';
export { endpointNames } from './simulator/options.js';
export { decodeBookmark, encodeBookmark } from './simulator/pagination.js';
export { formatRubyFloat } from './simulator/ruby-float.js';
export { startCanvasSimulator } from './simulator/server.js';
export type { LevelSample, TokenStats } from './simulator/token-meter.js';
export type { AuthCounts } from './simulator/token-registry.js';
