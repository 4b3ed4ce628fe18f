#!/usr/bin/env node
// The raftctl program. CommonJS (bin/package.json says so): Node's ES module loader, which an ES
// module entry starts, costs about 7 ms of CPU at every start (docs/performance.md "CLI
// start-up"); a CommonJS entry needs only the CommonJS loader, which Node has loaded anyway.
// oclif's check of Node's version against its own engines (>=18) costs a semver load at every
// start; raftctl needs Node 20 anyway (package.json engines), so it is skipped.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
const {pathToFileURL} = require('node:url')
const dir = pathToFileURL(__filename).href
// raftctl's own commands start from a bundle with a code cache (src/cli/fast-start.ts); help,
// plugins' commands and unknown commands take oclif's whole path, exiting only once stdout and
// stderr have drained (src/cli/execute.ts).
require('../dist/cli/fast-start.cjs').startFast(dir).then(async (done) => {
  if (done) return
  const {executeCli} = await import('../dist/cli/execute.js')
  await executeCli({dir})
})
