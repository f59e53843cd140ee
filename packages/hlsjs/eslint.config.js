import { coralConfig } from '@coral-cdn/eslint-config';

export default coralConfig({ platform: 'browser', tsconfigRootDir: import.meta.dirname });
