/**
 * Every ```ts code block of README.md type-checks against the library's sources.
 *
 * The blocks are extracted and compiled together, each as a module of its own (top-level
 * `await` allowed), in one TypeScript program with the repository's compiler options
 * (tsconfig.json). `canvas-sync` and its subpaths resolve to their entry files in `src/`, as
 * package.json `exports` maps them (`./dist/X.js` -> `src/X.ts`), so a block is checked
 * against the code, not against a stale build.
 *
 * Blocks are fragments of one story: they use names the prose or an earlier block defines
 * (`canvas`, `queue`, `sink` …). {@link PRELUDE} declares exactly those names, each with its
 * honest type, as globals that a block's own declaration of the same name shadows; a block
 * that misuses one still fails. Library exports are not in the prelude: a block imports what
 * it uses from the library, as a reader who copies it must.
 *
 * Conventions in README.md:
 * - ```ts (or ```typescript) blocks are checked; ```sh, ```sql, ```text, ```json and unlabelled
 *   blocks are not.
 * - ```ts fragment marks a block that is deliberately not a whole module (an object literal
 *   cut out of a larger one, say): it is skipped. Use it sparingly (no block needs it today).
 * - ```ts run marks a block that runs as written, on its own (no prelude name; the simulator at
 *   most): after the check, the test imports it and it must settle without throwing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const README = join(REPO, 'README.md');

/**
 * The names README blocks use without defining them, as the prose or an earlier block defines
 * them. Only what some block needs; every type is the one the README's story gives the name.
 */
const PRELUDE = `
import type {
  CanvasSyncClient,
  ClientClock,
  CourseScope,
  QueueAdapter,
  Sink,
} from 'canvas-sync';
import type { CanvasSimulator } from 'canvas-sync/testing';

declare global {
  /** The base URL of your Canvas, as given to the client. */
  const baseUrl: string;
  /** Your access token. */
  const token: string;
  /** The client of "The client" section. */
  const canvas: CanvasSyncClient;
  /** The same client, as the pipeline's options call it. */
  const client: CanvasSyncClient;
  /** The task queue of "Task queue". */
  const queue: QueueAdapter;
  /** The sink the worker writes to. */
  const sink: Sink<unknown>;
  /** The courses a run covers. */
  const scope: CourseScope;
  /** Course ids of yours. */
  const courseIds: readonly number[];
  /** Your service's logger (pino, console …). */
  const log: Pick<Console, 'info' | 'warn' | 'error'>;
  /** The running simulator of "The Canvas simulator". */
  const sim: CanvasSimulator;
  /** A clock (a fake one in tests), of the shape the client and the simulator take. */
  const clock: ClientClock;
}
`;

/**
 * Blocks known to fail in a section this test may not edit, each with the text its diagnostic
 * must contain. Temporary: once the block compiles, its entry fails the test until removed.
 */
const EXPECTED_FAILURES: readonly { heading: string; message: string; why: string }[] = [];

/**
 * Misuses the check must catch (calls of APIs the README once showed after their removal):
 * compiled in the same program, each must fail with its diagnostic.
 */
const CANARIES: readonly { code: string; message: string }[] = [
  {
    code: 'await sink.upsert([{ id: 1 }], { key: (record) => String(record) });',
    message: "Property 'upsert' does not exist on type 'Sink<unknown>'",
  },
  {
    code: 'canvas.stats().recordsWritten;',
    message: "Property 'recordsWritten' does not exist on type 'ClientStats'",
  },
  {
    code: "import { SqliteSink } from 'canvas-sync/sinks/sqlite';\nawait SqliteSink.open({ file: 'x.db' });",
    message: "'file' does not exist in type 'SqliteSinkOptions'",
  },
];

interface Block {
  /** 1-based line in README.md of the block's first line of code (after the fence). */
  readonly line: number;
  readonly info: string;
  readonly code: string;
  /** The headings above the block, outermost first. */
  readonly headings: readonly string[];
}

/** The fenced code blocks of a Markdown text (CommonMark fences: ``` or ~~~, indented ≤ 3). */
function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  const headings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const depth = (heading[1] ?? '#').length;
      headings.length = depth - 1;
      headings[depth - 1] = heading[2] ?? '';
      continue;
    }
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/.exec(line);
    if (!open) continue;
    const indent = (open[1] ?? '').length;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const text = lines[j] ?? '';
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text)?.[1] ?? '';
      if (close[0] === fence[0] && close.length >= fence.length) break;
      body.push(text.replace(new RegExp(`^ {0,${indent}}`), ''));
    }
    blocks.push({
      line: i + 2,
      info: (open[3] ?? '').trim(),
      code: body.join('\n'),
      headings: headings.filter((h) => h !== undefined),
    });
    i = j;
  }
  return blocks;
}

/** `canvas-sync` and its subpaths -> their entry files in src/, from package.json `exports`. */
function entryFiles(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { import?: string; default?: string }>;
  };
  const map = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : (target.import ?? target.default);
    const m = file === undefined ? null : /^\.\/dist\/(.+)\.js$/.exec(file);
    if (!m) continue; // ./package.json
    map.set(
      subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      join(REPO, 'src', `${m[1]}.ts`),
    );
  }
  return map;
}

/** The repository's compiler options, for checking only. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(REPO, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, REPO, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    // A block without import or export is still a module of its own: top-level await works,
    // and two blocks may each declare `const canvas`.
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
}

/** Where a diagnostic is, in README.md when `line` (the block's first line) is given. */
function format(d: ts.Diagnostic, line?: number): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (d.file === undefined || d.start === undefined) return `error TS${d.code}: ${message}`;
  const at = d.file.getLineAndCharacterOfPosition(d.start);
  const source = d.file.text.split('\n')[at.line]?.trim() ?? '';
  const where =
    line === undefined ? `${d.file.fileName}:${at.line + 1}` : `README.md:${line + at.line}`;
  return `${where}:${at.character + 1} - error TS${d.code}: ${message}\n    ${source}`;
}

interface Checked {
  /** The diagnostics of each block, located in README.md. */
  readonly problems: ReadonlyMap<Block, readonly string[]>;
  /** The prelude names each block uses. */
  readonly preludeNames: ReadonlyMap<Block, ReadonlySet<string>>;
  /** The diagnostics of each canary. */
  readonly canaries: readonly (readonly string[])[];
  /** Options, global and prelude diagnostics: none expected. */
  readonly setup: readonly string[];
  /** Every file of the program. */
  readonly files: readonly string[];
}

/** Type-checks the blocks and the canaries, each a virtual module, in one program. */
function check(blocks: readonly Block[]): Checked {
  const options = compilerOptions();
  const entries = entryFiles();
  // Virtual files inside the repository, so that package.json's "type": "module" applies.
  const dir = join(REPO, '.readme-blocks');
  const preludeFile = join(dir, 'prelude.ts');
  const virtual = new Map<string, string>([[preludeFile, PRELUDE]]);
  const blockFile = (b: Block): string => join(dir, `readme-line-${b.line}.ts`);
  const canaryFile = (i: number): string => join(dir, `canary-${i}.ts`);
  for (const b of blocks) virtual.set(blockFile(b), b.code);
  for (const [i, canary] of CANARIES.entries()) virtual.set(canaryFile(i), canary.code);

  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(resolve(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(resolve(f));
    return text === undefined
      ? getSourceFile.call(host, f, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(f, text, languageVersion, true);
  };
  const cache = ts.createModuleResolutionCache(REPO, (f) => f, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, sourceFile) =>
    literals.map((literal) => {
      const entry = entries.get(literal.text);
      if (entry !== undefined) {
        return {
          resolvedModule: {
            resolvedFileName: entry,
            extension: ts.Extension.Ts,
            isExternalLibraryImport: false,
          },
        };
      }
      const mode = ts.getModeForUsageLocation(sourceFile, literal, opts);
      return ts.resolveModuleName(
        literal.text,
        containingFile,
        opts,
        host,
        cache,
        redirected,
        mode,
      );
    });

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const checker = program.getTypeChecker();
  const sourceOf = (file: string): ts.SourceFile => {
    const sf = program.getSourceFile(file);
    if (sf === undefined) throw new Error(`not in the program: ${file}`);
    return sf;
  };
  const diagnosticsOf = (sf: ts.SourceFile): readonly ts.Diagnostic[] => [
    ...program.getSyntacticDiagnostics(sf),
    ...program.getSemanticDiagnostics(sf),
  ];
  const prelude = sourceOf(preludeFile);
  const namesFromPrelude = (sf: ts.SourceFile): Set<string> => {
    const names = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = ts.isShorthandPropertyAssignment(node.parent)
          ? checker.getShorthandAssignmentValueSymbol(node.parent)
          : checker.getSymbolAtLocation(node);
        const declarations = symbol?.declarations ?? [];
        if (declarations.some((d) => d.getSourceFile() === prelude)) names.add(node.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    return names;
  };

  const problems = new Map<Block, readonly string[]>();
  const preludeNames = new Map<Block, ReadonlySet<string>>();
  for (const b of blocks) {
    const sf = sourceOf(blockFile(b));
    problems.set(
      b,
      diagnosticsOf(sf).map((d) => format(d, b.line)),
    );
    preludeNames.set(b, namesFromPrelude(sf));
  }
  return {
    problems,
    preludeNames,
    canaries: CANARIES.map((_, i) => diagnosticsOf(sourceOf(canaryFile(i))).map((d) => format(d))),
    setup: [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...diagnosticsOf(prelude),
    ].map((d) => format(d)),
    files: program.getSourceFiles().map((sf) => sf.fileName),
  };
}

/**
 * Runs a block as written: its `canvas-sync` imports pointed at the entry files in src/, from a
 * temporary file that vitest transforms like any test module.
 */
async function run(block: Block): Promise<void> {
  const entries = entryFiles();
  const sf = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.ES2022, true);
  let code = block.code;
  const specifiers = sf.statements
    .filter((s) => ts.isImportDeclaration(s) || ts.isExportDeclaration(s))
    .map((s) => s.moduleSpecifier)
    .filter((m) => m !== undefined && ts.isStringLiteral(m))
    .sort((a, b) => b.getStart() - a.getStart());
  for (const m of specifiers) {
    const entry = entries.get((m as ts.StringLiteral).text);
    if (entry === undefined) continue;
    code = `${code.slice(0, m.getStart())}${JSON.stringify(entry)}${code.slice(m.getEnd())}`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'canvas-sync-readme-'));
  try {
    const file = join(dir, `readme-line-${block.line}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    await import(/* @vite-ignore */ file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The labels of README blocks: ts is checked, the others are not TypeScript. */
const KNOWN_LANGUAGES = new Set([
  'ts',
  'typescript',
  'sh',
  'bash',
  'sql',
  'text',
  'json',
  'ini',
  '',
]);
const blocks = fencedBlocks(readFileSync(README, 'utf8'));
const tsBlocks = blocks.filter((b) => /^(ts|typescript)(\s|$)/.test(b.info));
const checkedBlocks = tsBlocks.filter((b) => !/\bfragment\b/.test(b.info));
const result = check(checkedBlocks);
const declaredInPrelude = [...PRELUDE.matchAll(/^\s*const (\w+):/gm)].map((m) => m[1]);

describe('README.md code blocks', () => {
  it('are found, checked against src/ with sound options and prelude', () => {
    expect(checkedBlocks.length).toBeGreaterThan(10);
    // A TypeScript block under another label (```js, ```TypeScript …) would escape the check.
    const unknown = blocks.filter((b) => !KNOWN_LANGUAGES.has(b.info.split(/\s/)[0] ?? ''));
    expect(unknown.map((b) => `README.md:${b.line - 1}: \`\`\`${b.info}`)).toEqual([]);
    expect(result.setup, result.setup.join('\n')).toEqual([]);
    // `canvas-sync` is the sources, never a build.
    expect(result.files).toContain(join(REPO, 'src/index.ts').replaceAll('\\', '/'));
    expect(result.files.filter((f) => f.startsWith(`${REPO}/dist/`))).toEqual([]);
    // An expected failure whose section is gone would excuse nothing and rot.
    for (const e of EXPECTED_FAILURES) {
      expect(
        checkedBlocks.some((b) => b.headings.includes(e.heading)),
        e.heading,
      ).toBe(true);
    }
  });

  it('declare in the prelude exactly the names blocks use without defining them', () => {
    const used = new Set([...result.preludeNames.values()].flatMap((names) => [...names]));
    expect([...used].sort()).toEqual([...declaredInPrelude].sort());
  });

  it('catch a misuse of the API (the canaries fail)', () => {
    CANARIES.forEach((canary, i) => {
      const problems = result.canaries[i] ?? [];
      expect(problems.join('\n')).toContain(canary.message);
    });
  });

  for (const block of checkedBlocks) {
    const section = block.headings.at(-1) ?? '(top)';
    it(`README.md:${block.line} (${section}) type-checks`, () => {
      const problems = result.problems.get(block) ?? [];
      const expected = EXPECTED_FAILURES.filter((e) => block.headings.includes(e.heading));
      const unexpected = problems.filter((p) => !expected.some((e) => p.includes(e.message)));
      expect(unexpected, `README.md:${block.line}:\n${unexpected.join('\n')}`).toEqual([]);
      for (const e of expected) {
        expect(
          problems.some((p) => p.includes(e.message)),
          `README.md:${block.line} no longer fails with "${e.message}": remove its EXPECTED_FAILURES entry`,
        ).toBe(true);
      }
    });
  }

  for (const block of checkedBlocks.filter((b) => /\brun\b/.test(b.info))) {
    const section = block.headings.at(-1) ?? '(top)';
    it(`README.md:${block.line} (${section}) runs as written`, async () => {
      expect([...(result.preludeNames.get(block) ?? [])], 'a run block stands alone').toEqual([]);
      expect(result.problems.get(block)).toEqual([]);
      await run(block);
    });
  }
});
