/** Local clusters: manifest, processes, status, membership. */
export * from './manifest.js'
export * from './cluster.js'
export {freePort, isDaemon, isPaused, runningPid, sleep, RAFTCTL_BIN, DAEMON_ENTRY, DAEMON_ENV, DAEMON_NODE_FLAGS} from './processes.js'
export * from './chaos.js'
