export * from './build-report.js';
