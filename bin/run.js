#!/usr/bin/env node
// The oclif entry point, exiting only once stdout and stderr have drained: see src/cli/execute.ts.
// oclif's check of Node's version against its own engines (>=18) costs a semver load at every
// start; raftctl needs Node 20 anyway (package.json engines), so it is skipped.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
// raftctl's own commands start from one bundle with a code cache (src/cli/fast-start.ts), whose
// loader is CommonJS (required, where Node has process.getBuiltinModule); help, plugins' commands
// and unknown commands take oclif's whole path.
const require = process.getBuiltinModule?.('node:module').createRequire(import.meta.url)
const {startFast} = require ? require('../dist/cli/fast-start.cjs') : await import('../dist/cli/fast-start.js')
if (!(await startFast(import.meta.url))) {
  const {executeCli} = await import('../dist/cli/execute.js')
  await executeCli({dir: import.meta.url})
}
