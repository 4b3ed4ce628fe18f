#!/usr/bin/env -S node --import tsx
// The same as bin/run.js on the TypeScript sources: see src/cli/execute.ts. CommonJS, as
// everything in bin/ (bin/package.json); tsx loads the TypeScript.
const {pathToFileURL} = require('node:url')
import('../src/cli/execute.ts').then(({executeCli}) => executeCli({development: true, dir: pathToFileURL(__filename).href}))
