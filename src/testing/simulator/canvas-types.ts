/**
 * Shapes of the Canvas LMS REST API objects the simulator serves, with field names exactly as
 * Canvas returns them (snake_case). Ids are numbers (Canvas's default JSON; with
 * `Accept: application/json+canvas-string-ids` Canvas would send strings), timestamps are
 * ISO 8601 UTC strings such as `2026-09-01T14:03:00Z`.
 *
 * These describe what the simulator emits: a subset of each real object's fields, chosen to
 * include every field carrying personally identifiable information (PII).
 *
 * @module
 */

/**
 * An account (`GET /api/v1/accounts/:id`).
 * @category Testing
 */
export interface CanvasAccount {
  id: number;
  name: string;
  uuid: string;
  parent_account_id: number | null;
  root_account_id: number | null;
  workflow_state: 'active' | 'deleted';
  default_time_zone: string;
  sis_account_id: string | null;
  integration_id: string | null;
  sis_import_id: number | null;
  lti_guid: string;
}

/**
 * An enrollment term (`GET /api/v1/accounts/:id/terms`, items of `enrollment_terms`).
 * @category Testing
 */
export interface CanvasTerm {
  id: number;
  name: string;
  start_at: string | null;
  end_at: string | null;
  created_at: string;
  workflow_state: 'active' | 'deleted';
  sis_term_id: string | null;
  sis_import_id: number | null;
  grading_period_group_id: number | null;
}

/**
 * A course (`GET /api/v1/accounts/:id/courses`, `GET /api/v1/courses/:id`).
 * @category Testing
 */
export interface CanvasCourse {
  id: number;
  name: string;
  course_code: string;
  uuid: string;
  workflow_state: 'unpublished' | 'available' | 'completed' | 'deleted';
  account_id: number;
  root_account_id: number;
  enrollment_term_id: number;
  sis_course_id: string | null;
  integration_id: string | null;
  sis_import_id: number | null;
  start_at: string | null;
  end_at: string | null;
  created_at: string;
  default_view: 'feed' | 'wiki' | 'modules' | 'assignments' | 'syllabus';
  is_public: boolean;
  public_syllabus: boolean;
  license: string;
  time_zone: string;
  course_format: 'on_campus' | 'online' | 'blended';
  total_students: number;
  grading_standard_id: number | null;
  apply_assignment_group_weights: boolean;
  hide_final_grades: boolean;
  restrict_enrollments_to_course_dates: boolean;
  blueprint: boolean;
}

/**
 * A course section (`GET /api/v1/courses/:id/sections`).
 * @category Testing
 */
export interface CanvasSection {
  id: number;
  name: string;
  course_id: number;
  sis_section_id: string | null;
  sis_course_id: string | null;
  integration_id: string | null;
  sis_import_id: number | null;
  nonxlist_course_id: number | null;
  start_at: string | null;
  end_at: string | null;
  created_at: string;
  restrict_enrollments_to_section_dates: boolean;
  total_students: number;
}

/**
 * A user (`GET /api/v1/courses/:id/users`, `GET /api/v1/users/:id`), with all its PII fields.
 * @category Testing
 */
export interface CanvasUser {
  id: number;
  name: string;
  sortable_name: string;
  short_name: string;
  first_name: string;
  last_name: string;
  sis_user_id: string | null;
  integration_id: string | null;
  sis_import_id: number | null;
  login_id: string;
  email: string | null;
  avatar_url: string;
  pronouns: string | null;
  bio: string | null;
  title: string | null;
  locale: string | null;
  effective_locale: string;
  time_zone: string;
  last_login: string | null;
  lti_id: string;
  uuid: string;
  past_uuid: string | null;
  created_at: string;
}

/**
 * The abbreviated user Canvas nests as `author` / `user` in comments and discussions.
 * @category Testing
 */
export interface CanvasUserDisplay {
  id: number;
  anonymous_id: string;
  display_name: string;
  avatar_image_url: string;
  html_url: string;
  pronouns: string | null;
}

/**
 * An enrollment's grades (students only). Scores are percentages.
 * @category Testing
 */
export interface CanvasGrades {
  html_url: string;
  current_score: number | null;
  final_score: number | null;
  current_grade: string | null;
  final_grade: string | null;
  unposted_current_score: number | null;
  unposted_final_score: number | null;
}

/**
 * The base enrollment types the simulator produces.
 * @category Testing
 */
export type CanvasEnrollmentType = 'StudentEnrollment' | 'TeacherEnrollment' | 'TaEnrollment';

/**
 * An enrollment (`GET /api/v1/courses/:id/enrollments`), always with the nested `user`.
 * @category Testing
 */
export interface CanvasEnrollment {
  id: number;
  user_id: number;
  course_id: number;
  course_section_id: number;
  root_account_id: number;
  type: CanvasEnrollmentType;
  enrollment_state: 'active' | 'invited' | 'inactive' | 'completed' | 'rejected' | 'deleted';
  role: string;
  role_id: number;
  limit_privileges_to_course_section: boolean;
  associated_user_id: number | null;
  sis_user_id: string | null;
  sis_course_id: string | null;
  sis_section_id: string | null;
  sis_account_id: string | null;
  sis_import_id: number | null;
  course_integration_id: string | null;
  section_integration_id: string | null;
  created_at: string;
  updated_at: string;
  start_at: string | null;
  end_at: string | null;
  last_activity_at: string | null;
  last_attended_at: string | null;
  total_activity_time: number;
  html_url: string;
  /** Present on student enrollments only. */
  grades?: CanvasGrades;
  user: CanvasUser;
}

/**
 * An assignment (`GET /api/v1/courses/:id/assignments`).
 * @category Testing
 */
export interface CanvasAssignment {
  id: number;
  name: string;
  description: string;
  course_id: number;
  assignment_group_id: number;
  position: number;
  created_at: string;
  updated_at: string;
  due_at: string | null;
  unlock_at: string | null;
  lock_at: string | null;
  points_possible: number;
  grading_type: 'points' | 'percent' | 'letter_grade' | 'pass_fail' | 'gpa_scale' | 'not_graded';
  submission_types: string[];
  allowed_attempts: number;
  published: boolean;
  muted: boolean;
  omit_from_final_grade: boolean;
  has_submitted_submissions: boolean;
  html_url: string;
  submissions_download_url: string;
}

/**
 * A comment on a submission (`include[]=submission_comments`).
 * @category Testing
 */
export interface CanvasSubmissionComment {
  id: number;
  author_id: number;
  author_name: string;
  comment: string;
  created_at: string;
  edited_at: string | null;
  author: CanvasUserDisplay;
}

/**
 * A submission (`GET /api/v1/courses/:id/assignments/:id/submissions`, `.../students/submissions`).
 * @category Testing
 */
export interface CanvasSubmission {
  id: number;
  assignment_id: number;
  user_id: number;
  grader_id: number | null;
  score: number | null;
  grade: string | null;
  entered_score: number | null;
  entered_grade: string | null;
  body: string | null;
  url: string | null;
  preview_url: string;
  submitted_at: string | null;
  graded_at: string | null;
  posted_at: string | null;
  late: boolean;
  missing: boolean;
  excused: boolean | null;
  late_policy_status: 'late' | 'missing' | 'extended' | 'none' | null;
  seconds_late: number;
  points_deducted: number | null;
  attempt: number | null;
  workflow_state: 'submitted' | 'unsubmitted' | 'graded' | 'pending_review';
  submission_type: string | null;
  grade_matches_current_submission: boolean;
  /** Present with `include[]=user`. */
  user?: CanvasUser;
  /** Present with `include[]=submission_comments`. */
  submission_comments?: CanvasSubmissionComment[];
}

/**
 * A discussion topic (`GET /api/v1/courses/:id/discussion_topics`).
 * @category Testing
 */
export interface CanvasDiscussionTopic {
  id: number;
  title: string;
  message: string;
  html_url: string;
  posted_at: string;
  created_at: string;
  last_reply_at: string | null;
  require_initial_post: boolean;
  discussion_subentry_count: number;
  read_state: 'read' | 'unread';
  unread_count: number;
  assignment_id: number | null;
  published: boolean;
  locked: boolean;
  pinned: boolean;
  position: number;
  discussion_type: 'side_comment' | 'threaded' | 'not_threaded';
  user_name: string;
  author: CanvasUserDisplay;
}

/**
 * A discussion entry (`GET /api/v1/courses/:id/discussion_topics/:id/entries`).
 * @category Testing
 */
export interface CanvasDiscussionEntry {
  id: number;
  user_id: number;
  user_name: string;
  /** HTML; sometimes quotes other students by name and email. */
  message: string;
  created_at: string;
  updated_at: string;
  editor_id: number | null;
  parent_id: number | null;
  read_state: 'read' | 'unread';
  rating_count: number | null;
  rating_sum: number | null;
  user: CanvasUserDisplay;
  /** Present on top-level entries that have replies (newest first). */
  recent_replies?: CanvasDiscussionEntry[];
  has_more_replies: boolean;
}

/**
 * The `links` of a page view (all ids).
 * @category Testing
 */
export interface CanvasPageViewLinks {
  user: number;
  context: number | null;
  asset: number | null;
  real_user: number | null;
  account: number;
}

/**
 * A page view (`GET /api/v1/users/:id/page_views`). Its id is a uuid-like string.
 * @category Testing
 */
export interface CanvasPageView {
  id: string;
  url: string;
  context_type: 'Course' | 'Account' | 'User';
  asset_type: string | null;
  controller: string;
  action: string;
  interaction_seconds: number | null;
  created_at: string;
  updated_at: string;
  user_agent: string;
  remote_ip: string;
  http_method: 'get' | 'post' | 'put' | 'delete';
  render_time: number;
  participated: boolean;
  contributed: boolean;
  summarized: boolean | null;
  app_name: string | null;
  links: CanvasPageViewLinks;
}

/**
 * Per-assignment timeliness counts of one student in a course.
 * @category Testing
 */
export interface CanvasTardinessBreakdown {
  total: number;
  on_time: number;
  late: number;
  missing: number;
  floating: number;
}

/**
 * A course analytics student summary (`GET /api/v1/courses/:id/analytics/student_summaries`).
 * @category Testing
 */
export interface CanvasStudentSummary {
  /** The student's user id. */
  id: number;
  page_views: number;
  max_page_views: number;
  page_views_level: number;
  participations: number;
  max_participations: number;
  participations_level: number;
  tardiness_breakdown: CanvasTardinessBreakdown;
}
