export * from './wait.js';
export * from './ports.js';
export * from './processes.js';
export * from './proc.js';
export * from './redis.js';
export * from './media.js';
export * from './stack.js';
export * from './browser.js';
