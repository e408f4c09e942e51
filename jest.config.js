// Tests are compiled by `tsc -b` and run as plain ESM from dist/: what runs in the tests is what
// ships, and no transform is needed. `unit` needs nothing; `e2e` needs a Docker engine and the image.
// 30 s, not jest's 5 s, for a test or hook that sets none: on a loaded 2-core machine a fake-engine
// pipeline test or an afterAll removing temp trees took over 5 s and failed for no fault of its own.
const common = { testEnvironment: 'node', transform: {}, testPathIgnorePatterns: ['/node_modules/'], testTimeout: 30_000 };

export default {
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/dist/**/*.test.js'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/dist/**/*.test.js'] },
  ],
};
