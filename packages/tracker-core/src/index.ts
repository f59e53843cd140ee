export * from './election.js';
export * from './matching.js';
export * from './relay-guard.js';
export * from './reports.js';
export * from './rooms.js';
export * from './token-bucket.js';
export type * from './types.js';
