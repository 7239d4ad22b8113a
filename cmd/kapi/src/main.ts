#!/usr/bin/env node
/** The `kapi` binary. */
import { CommanderError } from 'commander';
import { buildProgram } from './cli.js';
import { formatCliError } from './errors.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    console.error(formatCliError(err));
    process.exit(1);
  });
