export * from './events.js';
export * from './report.js';
export * from './errors.js';
export * from './decoys.js';
export * from './trace-event-json-schema.js';
export * from './sanitize-text.js';
export * from './job.js';
