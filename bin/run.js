#!/usr/bin/env node
// oclif's execute, waiting for stdout to drain before any exit: see src/cli/execute.ts.
import {executeCli} from '../dist/cli/execute.js'

await executeCli({dir: import.meta.url})
