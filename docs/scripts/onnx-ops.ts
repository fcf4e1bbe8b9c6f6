// Writes docs/onnx-ops.md (git-ignored), the list of ops with gradient rules that
// guide/onnx-training.md includes, from @lmo/onnxruntime's registry. Run by `docs:build` and
// `docs:dev` before VitePress; `tsx scripts/onnx-ops.ts` runs it alone.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { supportedOps } from '@lmo/onnxruntime';
import { renderOnnxOps } from './onnx-ops-page.js';

const out = fileURLToPath(new URL('../onnx-ops.md', import.meta.url));
writeFileSync(out, renderOnnxOps(supportedOps()));
console.log(`onnx ops: ${supportedOps().ops.length} ops with gradient rules → docs/onnx-ops.md`);
