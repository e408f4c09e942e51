export * from './strace/index.js';
export * from './identity/index.js';
