#!/usr/bin/env node
/**
 * The `canvas-sync` command: `sync` (the main job), `dead-letters` and `simulator`, in the style
 * of `dap` and `gh`. Exit codes: 0 done, 1 failed, 2 usage, 3 finished with dead letters, 130 and
 * 143 stopped by SIGINT and SIGTERM.
 *
 * @module
 */
import { runDeadLetters } from './dead-letters.js';
import { runPlan, runWorker } from './fleet.js';
import { type Io, isMainModule, processIo } from './io.js';
import { runSimulatorCommand } from './simulator-command.js';
import { runSync } from './sync.js';
import { packageVersion } from './version.js';

/** A subcommand: its one-line description and what runs it. */
interface Command {
  readonly summary: string;
  readonly run: (args: string[], io: Io) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  sync: {
    summary: 'sync rosters, gradebooks and engagement data into a warehouse kept current',
    run: runSync,
  },
  plan: {
    summary: 'plan a sync onto a broker (--queue), for workers on any number of machines',
    run: runPlan,
  },
  worker: {
    summary: "fetch a broker's tasks into the warehouse (one of a fleet's workers)",
    run: runWorker,
  },
  'dead-letters': {
    summary: "list the last run's dead letters, or mark them for the next run (--replay)",
    run: runDeadLetters,
  },
  simulator: {
    summary: 'run the Canvas simulator as a standalone server, for integration tests',
    run: runSimulatorCommand,
  },
};

/** The usage text of `canvas-sync` itself. */
export const MAIN_USAGE = `Usage: canvas-sync <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`)
  .join('\n')}

Options:
  --help, -h     this text (canvas-sync <command> --help: the command's)
  --version, -v  the version of canvas-sync

Exit codes: 0 done, 1 failed, 2 usage, 3 finished with dead letters, 130 stopped by SIGINT,
143 stopped by SIGTERM.
`;

/**
 * Runs `canvas-sync` with the command line `args` (without `node` and the script) and `io`;
 * resolves to the exit code.
 */
export async function runCli(args: string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.stderr.write(MAIN_USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(MAIN_USAGE);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr.write(`canvas-sync: unknown command "${name}"\n\n${MAIN_USAGE}`);
    return 2;
  }
  return command.run(rest, io);
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
