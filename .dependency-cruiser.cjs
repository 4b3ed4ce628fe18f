/** Import rules of DESIGN.md §1, checked in CI (npm run lint:deps). */
const folders = (names) => `^src/(${names.join('|')})/`
module.exports = {
  forbidden: [
    {
      name: 'raft-is-pure',
      comment: 'src/raft imports nothing outside itself: no node:*, no packages, no other src/ folder',
      severity: 'error',
      from: {path: '^src/raft/'},
      to: {pathNot: '^src/raft/'},
    },
    {
      name: 'kv-is-pure',
      comment: 'src/kv imports nothing outside itself',
      severity: 'error',
      from: {path: '^src/kv/'},
      to: {pathNot: '^src/kv/'},
    },
    {
      name: 'trace-is-a-leaf',
      comment: 'src/trace (latency trace marks, used by transport, storage, daemon and bench) imports no other src/ folder',
      severity: 'error',
      from: {path: '^src/trace/'},
      to: {path: '^src/', pathNot: '^src/trace/'},
    },
    {
      name: 'replica-no-io',
      comment: 'the driver depends only on raft and kv: no node:*, ws or other folders',
      severity: 'error',
      from: {path: '^src/replica/'},
      to: {pathNot: '^src/(replica|raft|kv)/'},
    },
    {
      name: 'sim-no-network',
      comment: 'the simulator never touches transport, daemon, ws or node:net',
      severity: 'error',
      from: {path: '^src/sim/'},
      to: {path: ['^src/(transport|daemon|cluster|client|cli|commands)/', '^ws$', 'node_modules/ws/', '^(node:)?net$']},
    },
    {
      name: 'lower-layers-not-up',
      comment: 'transport, storage and chaos only depend on replica (ports) and raft (types)',
      severity: 'error',
      from: {path: folders(['transport', 'storage', 'chaos'])},
      to: {path: folders(['daemon', 'sim', 'cluster', 'client', 'verify', 'bench', 'dashboard', 'cli', 'commands', 'admin'])},
    },
    {
      name: 'admin-is-protocol',
      comment: 'admin is pure data and functions',
      severity: 'error',
      from: {path: '^src/admin/'},
      to: {path: folders(['daemon', 'sim', 'cluster', 'client', 'verify', 'bench', 'dashboard', 'cli', 'commands', 'transport', 'storage', 'replica'])},
    },
    {
      name: 'client-only-admin',
      comment: 'client depends on the admin protocol only',
      severity: 'error',
      from: {path: '^src/client/'},
      to: {path: folders(['daemon', 'sim', 'cluster', 'verify', 'bench', 'dashboard', 'cli', 'commands', 'transport', 'storage', 'replica', 'raft'])},
    },
    {
      name: 'nothing-imports-commands',
      severity: 'error',
      from: {pathNot: '^src/commands/'},
      to: {path: '^src/commands/'},
    },
    {
      name: 'commands-not-into-raft',
      comment: 'a command never reaches into src/raft internals',
      severity: 'error',
      from: {path: '^src/commands/'},
      to: {path: '^src/raft/'},
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
