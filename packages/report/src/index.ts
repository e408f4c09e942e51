export * from './build-report.js';
export * from './terminal.js';
