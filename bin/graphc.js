#!/usr/bin/env node
// graphc's command line. Models are TypeScript modules: the TypeScript loader is registered first, so
// that the CLI and the user's model share one instance of graphc's modules.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
