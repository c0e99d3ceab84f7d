/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // cel-js ships ES modules only; compile it to CommonJS for jest like our own sources.
    '^.+/node_modules/(@marcbachmann/cel-js|@kubernetes/client-node|openid-client|oauth4webapi|jose)/.+\\.js$':
      ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(@marcbachmann/cel-js|@kubernetes/client-node|openid-client|oauth4webapi|jose)/)',
  ],
  // Only our source folders: keeps the haste map out of .cache/ (the Go build tree) and dist/.
  roots: [
    '<rootDir>/protocol',
    '<rootDir>/controller',
    '<rootDir>/dataplane',
    '<rootDir>/cli',
    '<rootDir>/bench',
    '<rootDir>/e2e',
  ],
  testMatch: ['<rootDir>/{protocol,controller,dataplane,cli,bench,e2e}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // The workspace packages (@tollgate/protocol, …) load from their sources, never from a dist/ build.
  moduleNameMapper: {
    '^@tollgate/(protocol|controller|dataplane)$': '<rootDir>/$1/src',
    '^@tollgate/(protocol|controller|dataplane)/(.*)$': '<rootDir>/$1/src/$2',
  },
  modulePathIgnorePatterns: ['<rootDir>/(protocol|controller|dataplane)/dist/'],
  testTimeout: 30000,
};
