import { packageBuild } from '../../tsup.package.js';

export default packageBuild(
  {
    index: 'src/index.ts',
    backend: 'src/backend/index.ts',
    reference: 'src/reference/index.ts',
    testing: 'src/testing/index.ts',
    'testing-vitest': 'src/testing/vitest.ts',
  },
  ['vitest'],
);
