import { packageBuild } from '../../tsup.package.js';

export default packageBuild({ index: 'src/index.ts', web: 'src/web.ts', onnx: 'src/onnx/index.ts' }, [
  '@lmo/core',
  'onnxruntime-node',
  'onnxruntime-web',
  'onnxruntime-common',
]);
