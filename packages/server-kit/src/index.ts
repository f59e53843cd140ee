export * from './errors.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './http.js';
export * from './lifecycle.js';
export * from './child-process.js';
