// Tests are compiled by `tsc -b` and run as plain ESM from dist/: what runs in the tests is what
// ships, and no transform is needed. `unit` needs nothing; `e2e` needs a Docker engine and the image.
const common = { testEnvironment: 'node', transform: {}, testPathIgnorePatterns: ['/node_modules/'] };

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/dist/**/*.test.js'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/dist/**/*.test.js'] },
  ],
};
