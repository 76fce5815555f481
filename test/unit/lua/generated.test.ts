// The bundled scripts are the scripts in lua/: a stale generated module would run old Lua in Lambda.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, renderGeneratedModule } from '#lua/generate.ts';
import { scripts } from '#lua/scripts.generated.ts';

describe('lua/scripts.generated.ts', () => {
  it('matches lua/*.lua (run `npm run lua:generate` after editing a script)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(renderGeneratedModule());
  });

  it('carries the SHA-1 that EVALSHA names, and a header listing KEYS, ARGV and the output', () => {
    for (const script of Object.values(scripts)) {
      expect(script.sha1).toBe(createHash('sha1').update(script.source).digest('hex'));
      expect(script.source).toMatch(/KEYS\[1\]/);
      expect(script.source).toMatch(/ARGV\[1\]/);
      expect(script.source).toMatch(/Output:/);
    }
  });
});
