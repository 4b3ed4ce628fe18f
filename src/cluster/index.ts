/** Local clusters: manifest, processes, status, membership. */
export * from './manifest.js'
export * from './cluster.js'
export * from './lag.js'
export * from './lock.js'
export {isDaemon, isPaused, runningPid, sleep, RAFTCTL_BIN, DAEMON_ENTRY, DAEMON_ENV, DAEMON_NODE_FLAGS} from './processes.js'
export {freePort} from './ports.js'
export * from './chaos.js'
export * from './membership.js'
