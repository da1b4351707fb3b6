// `npm run lab -- <command>`: the engine of the page, headless. Every failure ends with one
// clear line on stderr and a non-zero exit, never a stack trace (set LAB_DEBUG=1 to see one).
import { parseArgs } from 'node:util';
import { NoAdapterError } from '../gpu/adapter.ts';
import { createNodeGpu } from '../gpu/node.ts';

class UsageError extends Error {}

const USAGE = `Usage: npm run lab -- <command> [options]

Commands:
  info                      the WebGPU adapter: vendor, architecture, features, limits (JSON)
  bench kernels [--json]    kernel benchmarks against tfjs-backend-webgpu on the same adapter
`;

type Command = (args: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  async info(args) {
    parseArgs({ args, options: {}, strict: true });
    const gpu = await createNodeGpu();
    process.stdout.write(`${JSON.stringify(gpu.adapter, null, 2)}\n`);
    gpu.destroy();
  },

  async bench(args) {
    const { positionals, values } = parseArgs({
      args,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    const suite = positionals[0] ?? 'kernels';
    if (suite !== 'kernels') throw new UsageError(`unknown benchmark suite "${suite}" (try: kernels)`);
    // Loaded only here: the benchmark pulls in TensorFlow.js as its comparison peer.
    const { runBench } = await import('./bench.ts');
    const gpu = await createNodeGpu();
    await runBench(gpu, suite, values.json);
    gpu.destroy();
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`lab: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (error) {
    if (process.env.LAB_DEBUG) console.error(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`lab ${name}: ${message}\n`);
    // Usage mistakes (including parseArgs' own) exit 2; no adapter 3; anything else 1.
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return 2;
    if (error instanceof NoAdapterError) return 3;
    return 1;
  }
}

// Dawn keeps the event loop alive after its device is destroyed, so exit explicitly.
process.exit(await main(process.argv.slice(2)));
