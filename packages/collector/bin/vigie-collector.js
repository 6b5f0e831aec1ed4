#!/usr/bin/env node
// vigie-collector as npm installs it (a workspace bin, on PATH in npm scripts and through npx): runs the built CLI,
// or says how to build it. The bin must exist before the build, which is why it is not dist/cli.js itself.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('vigie-collector: not built yet: run `npm run build` in the checkout first\n');
  process.exit(1);
}
await import(cli.href);
