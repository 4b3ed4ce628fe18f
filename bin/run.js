#!/usr/bin/env node
// The oclif entry point, exiting only once stdout and stderr have drained: see src/cli/execute.ts.
// oclif's check of Node's version against its own engines (>=18) costs a semver load at every
// start; raftctl needs Node 20 anyway (package.json engines), so it is skipped.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
const {executeCli} = await import('../dist/cli/execute.js')

await executeCli({dir: import.meta.url})
