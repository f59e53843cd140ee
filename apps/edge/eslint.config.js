import { coralConfig } from '@coral-cdn/eslint-config';

export default coralConfig({
  platform: 'node',
  tsconfigRootDir: import.meta.dirname,
  // The vendored HTTP caching suite and its runner are plain JavaScript, run as they are.
  ignores: ['conformance/**'],
});
