/**
 * The layers of src/ and the arrows between them (DESIGN.md §1 with the extensions listed in
 * .dependency-cruiser.cjs): read by the import rules, their planted-import test and the
 * architecture picture in docs/architecture.md.
 */
/** Folder → the folders it may import (itself always). Pure layers also import no node:* or package. */
const LAYERS = {
  raft: [],
  kv: [],
  common: [],
  trace: [],
  playground: ['raft'],
  replica: ['raft', 'kv', 'common'],
  storage: ['replica', 'raft', 'trace', 'common'],
  transport: ['replica', 'raft', 'trace', 'common'],
  chaos: ['replica', 'raft', 'common'],
  admin: ['common'],
  backup: ['kv', 'common'],
  client: ['admin', 'common'],
  daemon: ['replica', 'storage', 'transport', 'chaos', 'admin', 'client', 'kv', 'raft', 'trace', 'common', 'backup'],
  sim: ['replica', 'storage', 'chaos', 'kv', 'raft', 'common'],
  cluster: ['client', 'admin', 'common', 'backup'],
  verify: ['client', 'cluster', 'chaos', 'admin', 'common'],
  bench: ['client', 'cluster', 'admin', 'trace', 'common'],
  dashboard: ['client', 'cluster', 'admin', 'common'],
  cli: ['client', 'cluster', 'chaos', 'admin', 'common', 'backup'],
  commands: ['cli', 'client', 'cluster', 'verify', 'bench', 'dashboard', 'sim', 'daemon', 'chaos', 'playground', 'common', 'backup'],
}

/** Layers that import nothing at all outside themselves: no node:*, no package, no other folder. */
const PURE = ['raft', 'kv', 'common']

module.exports = {LAYERS, PURE}
