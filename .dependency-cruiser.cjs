/**
 * The layering of ../shared/design.md, checked by `npm run deps` (part of `npm run lint`):
 * imports point only downward (support → pipeline → client → base → errors), modules of one
 * group may import each other, and there is no cycle anywhere.
 */
const base = '^src/(http|pacing|retry|privacy|idempotency)/';
const pipeline = '^src/(worker|producers|queue|sink)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes the layers meaningless and the load order fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'errors-import-nothing-above',
      severity: 'error',
      comment: 'errors/ is the bottom layer: it imports only itself and packages.',
      from: { path: '^src/errors/' },
      to: { path: '^src/', pathNot: '^src/errors/' },
    },
    {
      name: 'base-imports-only-base-and-errors',
      severity: 'error',
      from: { path: base },
      to: { path: '^src/', pathNot: [base, '^src/errors/'] },
    },
    {
      name: 'client-imports-nothing-above',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: [pipeline, '^src/(testing|cli)/', '^src/index\\.ts$'] },
    },
    {
      name: 'pipeline-imports-nothing-above',
      severity: 'error',
      from: { path: pipeline },
      to: { path: ['^src/(testing|cli)/', '^src/index\\.ts$'] },
    },
    {
      name: 'only-support-imports-testing',
      severity: 'error',
      comment: 'The simulator and the conformance suites are for tests, not for the library.',
      from: { path: '^src/', pathNot: '^src/(testing|cli)/' },
      to: { path: '^src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
