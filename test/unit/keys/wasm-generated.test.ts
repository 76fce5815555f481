// The bundled WebAssembly is the assembled sha256x4.wat: a stale generated module would hash
// keys with old code in Lambda.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, renderGeneratedModule } from '#shared/keys/wasm/generate.ts';

describe('shared/keys/wasm/sha256x4.generated.ts', () => {
  it('matches sha256x4.wat (run `npm run wasm:generate` after editing it)', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(await renderGeneratedModule());
  });
});
