#!/usr/bin/env -S node --import tsx
// The same as bin/run.js on the TypeScript sources: see src/cli/execute.ts.
import {executeCli} from '../src/cli/execute.ts'

await executeCli({development: true, dir: import.meta.url})
