export type { EngagementCrawlerOptions, PageViewWindow } from './engagement-crawler.js';
export { engagementCrawler } from './engagement-crawler.js';
export type { GradeExporterOptions } from './grade-exporter.js';
export { gradeExporter } from './grade-exporter.js';
export type {
  CourseRef,
  CourseScope,
  ListCoursesOptions,
  PlanContext,
  PlanRetry,
  Producer,
  SyncState,
} from './producer.js';
export { defaultPlanRetry, listCourses } from './producer.js';
export type { RosterScannerOptions } from './roster-scanner.js';
export { rosterScanner } from './roster-scanner.js';
export type { PlanFailure, ProducerProgress, RunProducersOptions } from './run-producers.js';
export { runProducers } from './run-producers.js';
