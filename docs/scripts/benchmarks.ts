import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../benchmarks.md', import.meta.url), '# Benchmarks\n\nNo results yet.\n');
