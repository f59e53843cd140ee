import { coralConfig } from '@coral-cdn/eslint-config';

export default coralConfig({ platform: 'node', tsconfigRootDir: import.meta.dirname });
