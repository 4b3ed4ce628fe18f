/**
 * Import rules of DESIGN.md §1, checked in CI (npm run lint:deps) and tested by planting every
 * forbidden import in a fixture (test/architecture/import-rules.test.ts).
 *
 * LAYERS (in .dependency-cruiser.layers.cjs) is the one table: for each folder of src/, the other
 * folders it may import. Every arrow not in the table is forbidden by a generated rule named
 * `<from>-imports-only-allowed`. docs/architecture.md shows the imports as a picture
 * (npm run docs:architecture). Extensions of DESIGN.md's arrows, each for a reason:
 * - `common` (errors with stable codes, units such as durations and sizes) and `trace` (latency
 *   marks) are leaves that the layers outside the pure core may import; the replica driver
 *   imports `common` too (pure: the node defaults of src/common/defaults.ts, no I/O);
 * - cli, bench, dashboard and verify read the admin protocol's types (statuses, events, faults);
 * - commands and cli describe chaos faults and run seeded schedules (`chaos run`, `chaos inspect`);
 * - `backup` (snapshot files of `raftctl snapshot save`, read back through the KV state machine)
 *   is read by the daemon (`node run --restore`), the cluster workflows, cli and the commands.
 * - `playground` (the browser-side simulation of `raftctl playground`) imports only the core.
 */
const {LAYERS, PURE} = require('./.dependency-cruiser.layers.cjs')

const ALL = Object.keys(LAYERS)
const folders = (names) => `^src/(${names.join('|')})/`

const layerRules = ALL.map((from) => {
  const forbidden = ALL.filter((to) => to !== from && !LAYERS[from].includes(to))
  return {
    name: `${from}-imports-only-allowed`,
    comment: `src/${from} may import only: ${LAYERS[from].join(', ') || 'nothing in src/'}`,
    severity: 'error',
    from: {path: `^src/${from}/`},
    to: {path: folders(forbidden)},
  }
})

const pureRules = PURE.map((from) => ({
  name: `${from}-is-pure`,
  comment: `src/${from} imports nothing outside itself: no node:*, no packages, no other src/ folder`,
  severity: 'error',
  from: {path: `^src/${from}/`},
  to: {pathNot: `^src/${from}/`},
}))

module.exports = {
  forbidden: [
    ...pureRules,
    ...layerRules,
    {
      name: 'replica-no-io',
      comment: 'the driver depends only on raft, kv and the pure leaf common (its defaults): no node:*, ws or packages',
      severity: 'error',
      from: {path: '^src/replica/'},
      to: {pathNot: '^src/(replica|raft|kv|common)/'},
    },
    {
      name: 'playground-browser-safe',
      comment: 'the playground runs in the browser as served from dist/: it imports only the core, no node:* or packages',
      severity: 'error',
      from: {path: '^src/playground/'},
      to: {pathNot: '^src/(playground|raft)/'},
    },
    {
      name: 'sim-no-network',
      comment: 'the simulator never touches ws or node:net',
      severity: 'error',
      from: {path: '^src/sim/'},
      to: {path: ['^ws$', 'node_modules/ws/', '^(node:)?net$']},
    },
    {
      name: 'not-in-a-layer',
      comment: 'every source file lives in one of the layers of the table',
      severity: 'error',
      from: {path: '^src/', pathNot: folders(ALL)},
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: {circular: true},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsConfig: {fileName: 'tsconfig.json'},
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {extensions: ['.ts', '.js']},
  },
}
