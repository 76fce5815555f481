// G6 and design §10/§11: every new operator command has --help (exit 0, usage and examples), a bad
// option of `status` is a usage error (exit 2), and the published CLI loads no kafkajs or AWS SDK
// module before a command runs (`mskguard --help` stays fast): checked on the import graph that
// esbuild resolves from shared/cli/main.ts, not by timing.
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { operatorCommands } from '#shared/cli/commands/index.ts';

async function printed(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      text += String(chunk);
      return true;
    }),
  );
  try {
    return { code: await runCli(operatorCommands, argv), text };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('operator commands', () => {
  it.each([
    [
      ['status', '--help'],
      /Usage: mskguard status --group ID --topic NAME.*\n[\s\S]*Exit codes: 0 healthy, 3 unhealthy/,
    ],
    [['restore', 'undo', '--help'], /Usage: mskguard restore undo <restoreId> --group ID --topic NAME/],
    [
      ['restore', 'file', '--help'],
      /Usage: mskguard restore file --group ID --topic NAME \(--from-file FILE \| --offsets P=O,...\)/,
    ],
    [['restore', 'timestamp', '--help'], /--export FILE/],
    [['--help'], /mskguard restore undo[\s\S]*mskguard status /],
  ])('%j prints its help', async (argv, help) => {
    // Act
    const { code, text } = await printed(argv);

    // Assess
    expect(code).toBe(0);
    expect(text).toMatch(help);
  });

  it('undo lists only the options it takes', async () => {
    const undo = await printed(['restore', 'undo', '--help']);
    const timestamp = await printed(['restore', 'timestamp', '--help']);
    for (const refused of [/^ {2}--at TIME/m, /^ {2}--mode MODE/m]) {
      expect(undo.text).not.toMatch(refused);
      expect(timestamp.text).toMatch(refused);
    }
    expect(undo.text).not.toMatch(/^ {2}--(from-file|offsets) /m);
    expect(undo.text).toContain('--audit-table T');
    expect(undo.text).toContain('--clamp');
  });

  it.each([
    'checkpoint',
    'history',
    'timestamp',
    'consumer-offsets',
    'auto',
  ])('restore %s --help lists neither --from-file nor --offsets (strategy file reads them)', async (strategy) => {
    // Act
    const { code, text } = await printed(['restore', strategy, '--help']);

    // Assess
    expect(code).toBe(0);
    expect(text).not.toMatch(/^ {2}--(from-file|offsets) /m);
    expect(text).toMatch(/^ {2}--partitions LIST/m);
  });

  it('restore file --help lists --from-file and --offsets', async () => {
    // Act
    const { text } = await printed(['restore', 'file', '--help']);

    // Assess
    expect(text).toMatch(/^ {2}--from-file FILE {8}the kafka-consumer-groups CSV to restore to$/m);
    expect(text).toMatch(/^ {2}--offsets P=O,\.\.\. {7}the targets inline, instead of --from-file/m);
  });

  it.each([
    [
      ['status', '--group', 'g', '--topic', 't', '--max-lag', 'lots'],
      /--max-lag lots: expected a whole number/,
    ],
    [['status', '--group', 'g', '--topic', 't', '--interval', '0s'], /--interval 0s: expected a duration/],
    [['status', '--topic', 't'], /^Missing --group ID\.$/m],
    [['restore', 'undo', '--group', 'g', '--topic', 't'], /Name exactly one restoreId/],
    [
      ['restore', 'undo', 'id', '--group', 'g', '--topic', 't', '--from-file', 'x.csv'],
      /undo takes its targets from the audit item/,
    ],
    [
      ['restore', 'file', '--group', 'g', '--topic', 't'],
      /Strategy file needs either --from-file FILE .* or --offsets P=O/,
    ],
    [
      ['restore', 'checkpoint', '--group', 'g', '--topic', 't', '--from-file', 'x.csv'],
      /--from-file is read by strategy file/,
    ],
    [
      ['restore', 'file', '--group', 'g', '--topic', 't', '--offsets', '0=42', '--from-file', 'good.csv'],
      /^--from-file and --offsets cannot be combined: give the targets in the CSV file or inline, not both\.$/m,
    ],
    [
      ['restore', 'file', '--group', 'g', '--topic', 't', '--offsets', '0=42,0=7'],
      /^Invalid --offsets 0=42,0=7: partition 0 is named twice\.$/m,
    ],
    [
      ['restore', 'checkpoint', '--group', 'g', '--topic', 't', '--partitions', '1,0-2'],
      /^Invalid --partitions 1,0-2: partition 1 is named twice\.$/m,
    ],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    // Act
    const { code, text } = await printed([...argv, '--brokers', '127.0.0.1:1']);

    // Assess
    expect(code).toBe(2);
    expect(text).toMatch(message);
  });

  it('loads no kafkajs or AWS SDK module before a command runs', async () => {
    // Act
    const { metafile } = await build({
      entryPoints: ['shared/cli/main.ts'],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      write: false,
      metafile: true,
      outdir: 'out',
      logLevel: 'silent',
    });

    // Assess: follow static imports from main and from the modules main awaits (command.ts and
    // the command list), never dynamic ones (what a command imports when it runs).
    const outputs = metafile.outputs;
    const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === 'shared/cli/main.ts')!;
    const startup = new Set([entry]);
    for (const o of Object.keys(outputs)) {
      const inputs = Object.keys(outputs[o]!.inputs);
      if (inputs.some((i) => i.endsWith('cli/commands/index.ts') || i.endsWith('cli/command.ts')))
        startup.add(o);
    }
    const external = new Set<string>();
    const queue = [...startup];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const out = queue.pop()!;
      if (seen.has(out)) continue;
      seen.add(out);
      for (const i of outputs[out]!.imports) {
        if (i.kind === 'dynamic-import') continue;
        if (i.external) external.add(i.path);
        else queue.push(i.path);
      }
    }
    expect([...external].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
