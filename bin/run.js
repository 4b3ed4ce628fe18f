#!/usr/bin/env node
// The oclif entry point, exiting only once stdout and stderr have drained: see src/cli/execute.ts.
import {executeCli} from '../dist/cli/execute.js'

await executeCli({dir: import.meta.url})
