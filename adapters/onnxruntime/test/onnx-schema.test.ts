// The committed protobuf descriptor is what scripts/onnx-schema.ts makes of scripts/onnx.proto.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('src/onnx/schema.generated.ts', () => {
  it('is up to date with scripts/onnx.proto', () => {
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const script = fileURLToPath(new URL('../scripts/onnx-schema.ts', import.meta.url));
    const r = spawnSync(tsx, [script, '--check'], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('schema.generated.ts is up to date');
    expect(r.status).toBe(0);
  }, 60_000);
});
