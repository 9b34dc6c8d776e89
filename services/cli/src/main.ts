#!/usr/bin/env node
import { runCli } from './cli';

// `npx plugboard …` (the root package.json "bin"): a client of a running gateway, no Nest inside.
void runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
