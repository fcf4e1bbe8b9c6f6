import { packageBuild } from '../../tsup.package.js';

export default packageBuild(['@lmo/core', 'onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common']);
