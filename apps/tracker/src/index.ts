export { createTrackerApp, type TrackerApp, type TrackerAppOptions } from './app.js';
export { trackerConfig, trackerConfigSchema, type TrackerConfig } from './config.js';
export { MemoryStore } from './store/memory-store.js';
export { RedisStore } from './store/redis-store.js';
export type * from './store/types.js';
