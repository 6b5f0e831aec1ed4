#!/usr/bin/env -S node --max-semi-space-size=64
// vigie-collector as npm installs it (a workspace bin, on PATH in npm scripts and through npx): runs the built CLI,
// or says how to build it. The bin must exist before the build, which is why it is not dist/cli.js itself.
// Most of what ingest allocates dies young: a 64 MB young generation (Node's default is 16 MB) spends far less
// time in the garbage collector (16k -> 25-27k results/s in bench/ingest, for about 100 MB more memory).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('vigie-collector: not built yet: run `npm run build` in the checkout first\n');
  process.exit(1);
}
await import(cli.href);
