import { coralConfig } from '@coral-cdn/eslint-config';

export default coralConfig({
  platform: 'free',
  tsconfigRootDir: import.meta.dirname,
  // Mutation testing's sandbox (npm run mutation).
  ignores: ['.stryker-tmp/**'],
});
