#!/usr/bin/env node
// graphc's command line: the compiled CLI (`npm run build`, run by `npm install` as the prepare step).
// Model files are compiled by the CLI itself (cli/bundle.ts), not by a loader registered for all of graphc.
import '../dist/cli/main.js';
