/** Snapshot files (backups): the format, and reading one back verified (inspect, restore). */
export * from './format.js'
export * from './inspect.js'
