import { coralConfig } from '@coral-cdn/eslint-config';

// The pages (src/) are browser code; build.mjs and serve.mjs are small Node scripts.
export default coralConfig({
  platform: 'browser',
  tsconfigRootDir: import.meta.dirname,
  ignores: ['build.mjs', 'serve.mjs', 'serve.d.mts'],
});
