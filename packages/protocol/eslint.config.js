import { coralConfig } from '@coral-cdn/eslint-config';

export default coralConfig({
  platform: 'free',
  tsconfigRootDir: import.meta.dirname,
  ignores: ['.stryker-tmp/**', 'reports/**'],
});
