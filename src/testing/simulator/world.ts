/**
 * The simulated world a running simulator serves: its institution, with the means to change it
 * (the routes' grading `PUT`, and `change()`), dated by the simulator's wall clock.
 *
 * @module
 */
import {
  changeOptionsSchema,
  type SimulatorChangeOptions,
  type SimulatorChangeReport,
} from './change-types.js';
import { applyChanges } from './institution/change-engine.js';
import { courseIndex } from './institution/ids.js';
import {
  type ChangeableInstitution,
  createChangeableInstitution,
} from './institution/institution.js';
import type { InstitutionOptions } from './institution/options.js';
import { postGrade } from './institution/post-grade.js';
import { formatIssues } from './options.js';
import { hashSeed } from './prng.js';
import type { RouteWorld } from './routes.js';

/** A {@link RouteWorld} with `change()`. */
export interface SimulatedWorld extends RouteWorld {
  /** See `CanvasSimulator.change`. */
  change(options?: SimulatorChangeOptions): SimulatorChangeReport;
}

/**
 * Creates the institution of `options` and its world. `seed` is the simulator's (the default
 * seeds of `change()` derive from it and the number of the call); `epochNow` dates changes.
 */
export function createWorld(
  options: InstitutionOptions,
  seed: number,
  epochNow: () => number,
): SimulatedWorld {
  const changeable: ChangeableInstitution = createChangeableInstitution(options);
  let calls = 0;
  return {
    data: changeable.institution,
    deletedEnrollments: (courseId) => {
      const c = courseIndex(changeable.ctx, courseId);
      return c === undefined ? [] : changeable.views.deletedEnrollments(c);
    },
    postGrade: (ids, posted, graderId) => postGrade(changeable, ids, posted, graderId, epochNow()),
    change: (changeOptions = {}) => {
      const parsed = changeOptionsSchema.safeParse(changeOptions);
      if (!parsed.success) {
        throw new TypeError(`Invalid change options: ${formatIssues(parsed.error.issues)}`);
      }
      const o = parsed.data;
      calls++;
      return applyChanges(changeable, {
        grade: o.grade ?? 0,
        submit: o.submit ?? 0,
        addEnrollments: o.addEnrollments ?? 0,
        dropEnrollments: o.dropEnrollments ?? 0,
        pageViews: o.pageViews ?? 0,
        editEntries: o.editEntries ?? 0,
        seed: o.seed ?? hashSeed(seed, 'change', calls),
        at: o.at ?? epochNow(),
      });
    },
  };
}
