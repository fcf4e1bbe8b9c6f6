import { packageBuild } from '../../tsup.package.js';

export default packageBuild(['gpu.js', '@lmo/core', 'webgpu', 'gl']);
