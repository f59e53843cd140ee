import { coralConfig } from '@coral-cdn/eslint-config';

// The server (src/) is Node; the page (web/) is browser code, where console is not for logs.
// (typescript-eslint turns no-undef off for .ts files: the two tsconfigs decide the globals.)
export default [
  ...coralConfig({ platform: 'node', tsconfigRootDir: import.meta.dirname }),
  { files: ['web/**/*.ts'], rules: { 'no-console': 'error' } },
];
