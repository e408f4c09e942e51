export * from './strace/index.js';
