export * from './runner/protocol.js';
export * from './strace/index.js';
