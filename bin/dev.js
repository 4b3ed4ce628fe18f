#!/usr/bin/env -S node --import tsx
// oclif's execute, waiting for stdout to drain before any exit: see src/cli/execute.ts.
import {executeCli} from '../src/cli/execute.ts'

await executeCli({development: true, dir: import.meta.url})
