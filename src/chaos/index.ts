/** Live and simulated chaos: faults as data, the network and disk decorators, the registry, schedules. */
export * from './faults.js'
export * from './network.js'
export * from './storage.js'
export * from './registry.js'
export * from './schedule.js'
