// Node's way to a device: Dawn from the `webgpu` npm package, over a Vulkan driver. On a machine
// without a GPU two CPU drivers give WebGPU: SwiftShader's (shipped by Debian's chromium) and
// Mesa's lavapipe (mesa-vulkan-drivers, Mesa 24 or newer: Dawn refuses older ones). The Vulkan
// loader reads VK_ICD_FILENAMES when Dawn creates an instance, so pointing it at one driver's
// manifest before the next instance picks that driver. LAB_ADAPTER says which one to open.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterKind, isCpuAdapter, NoAdapterError, openDevice, type AdapterKind, type OpenedDevice } from './adapter.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_ICD_FOLDERS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];

/** LAB_ADAPTER's values: 'auto' takes a real GPU, else lavapipe, else SwiftShader. */
export type AdapterChoice = 'auto' | 'swiftshader' | 'lavapipe' | 'gpu';
const ADAPTER_CHOICES: readonly AdapterChoice[] = ['auto', 'swiftshader', 'lavapipe', 'gpu'];

const INSTALL_HINTS: Record<Exclude<AdapterChoice, 'auto'>, string> = {
  swiftshader: 'SwiftShader comes with Debian\'s chromium: `apt-get install -y chromium libvulkan1`.',
  lavapipe:
    'lavapipe comes with Mesa 24 or newer\'s mesa-vulkan-drivers (on Debian 12 from bookworm-backports: ' +
    '`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`; .ci/install-system-packages does it).',
  gpu: 'Install your GPU\'s Vulkan driver, or set LAB_ADAPTER=auto to run on a CPU adapter.',
};
const ANY_ADAPTER_HINT = `On Linux without a GPU install a CPU driver: ${INSTALL_HINTS.lavapipe} Or ${INSTALL_HINTS.swiftshader}`;

/** The adapter LAB_ADAPTER asks for ('auto' when unset); an unknown value names the choices. */
export function adapterChoiceFromEnv(env: Readonly<Record<string, string | undefined>>): AdapterChoice {
  const raw = env.LAB_ADAPTER;
  if (raw === undefined || raw === '') return 'auto';
  if ((ADAPTER_CHOICES as readonly string[]).includes(raw)) return raw as AdapterChoice;
  throw new RangeError(`LAB_ADAPTER is "${raw}": set it to one of ${ADAPTER_CHOICES.join(', ')}, or unset it (auto)`);
}

/** lavapipe's manifest where Mesa installed it (lvp_icd.json, or lvp_icd.<arch>.json on some systems). */
export function lavapipeIcd(): string | null {
  for (const folder of SYSTEM_ICD_FOLDERS) {
    if (!existsSync(folder)) continue;
    const manifest = readdirSync(folder).find((name) => /^lvp_icd(\..+)?\.json$/.test(name));
    if (manifest) return join(folder, manifest);
  }
  return null;
}

function cpuDriverIcd(kind: 'swiftshader' | 'lavapipe'): string | null {
  if (kind === 'lavapipe') return lavapipeIcd();
  return existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : null;
}

// Vulkan drivers probe for a window system and complain on stderr when XDG_RUNTIME_DIR is
// unset, as it is in CI and over ssh; a private empty one keeps the command line's output clean.
function quietWindowSystemProbe(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = join(tmpdir(), `alphaalign-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

// Dawn tears its instance down when the JavaScript GPU object is collected, and a device made
// from it then crashes the process at its next callback: every instance is kept for good.
const dawnInstances: GPU[] = [];

/**
 * An adapter from a new Dawn instance over the drivers `icd` names (null: the system's drivers,
 * or the VK_ICD_FILENAMES the user set). The variable is put back as it was once the instance exists.
 */
async function requestDawnAdapter(icd: string | null): Promise<GPUAdapter | null> {
  quietWindowSystemProbe();
  let create: typeof import('webgpu').create;
  try {
    const dawn = await import('webgpu');
    // Dawn's classes (GPUBufferUsage, GPUMapMode, ...) must be globals for WebGPU code to run.
    Object.assign(globalThis, dawn.globals);
    create = dawn.create;
  } catch (error) {
    throw new NoAdapterError(`Dawn (the \`webgpu\` npm package) failed to load: ${String(error)}. ${ANY_ADAPTER_HINT}`);
  }
  const before = process.env.VK_ICD_FILENAMES;
  if (icd !== null) process.env.VK_ICD_FILENAMES = icd;
  try {
    const instance = create([]);
    dawnInstances.push(instance);
    return await instance.requestAdapter({ powerPreference: 'high-performance' });
  } finally {
    if (before === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = before;
  }
}

const kindOf = (adapter: GPUAdapter): AdapterKind => adapterKind(adapter.info);

/** The adapter LAB_ADAPTER (or `choice`) names, or NoAdapterError saying what to install. */
export async function requestNodeAdapter(choice: AdapterChoice = adapterChoiceFromEnv(process.env)): Promise<GPUAdapter> {
  if (choice === 'swiftshader' || choice === 'lavapipe') {
    const icd = cpuDriverIcd(choice);
    const adapter = icd ? await requestDawnAdapter(icd) : null;
    if (!adapter || kindOf(adapter) !== choice) throw new NoAdapterError(`LAB_ADAPTER=${choice}: its Vulkan driver was not found. ${INSTALL_HINTS[choice]}`);
    return adapter;
  }
  const system = await requestDawnAdapter(null);
  if (choice === 'gpu') {
    if (!system || isCpuAdapter({ kind: kindOf(system) })) {
      throw new NoAdapterError(`LAB_ADAPTER=gpu: no GPU adapter${system ? ` (only ${kindOf(system)})` : ''}. ${INSTALL_HINTS.gpu}`);
    }
    return system;
  }
  // auto: a user's own driver list is theirs; otherwise a GPU, else lavapipe, else SwiftShader.
  if (process.env.VK_ICD_FILENAMES || (system && kindOf(system) !== 'swiftshader')) {
    if (system) return system;
    throw new NoAdapterError(`VK_ICD_FILENAMES (${process.env.VK_ICD_FILENAMES}) names no driver Dawn accepts. ${ANY_ADAPTER_HINT}`);
  }
  for (const kind of ['lavapipe', 'swiftshader'] as const) {
    const icd = cpuDriverIcd(kind);
    const adapter = icd ? await requestDawnAdapter(icd) : null;
    if (adapter) return adapter;
  }
  if (system) return system;
  throw new NoAdapterError(ANY_ADAPTER_HINT);
}

/** What `lab info` lists beside the adapter in use: the other kinds this machine can open. */
export async function otherNodeAdapters(inUse: AdapterKind): Promise<Array<{ kind: AdapterKind; description: string }>> {
  const found: Array<{ kind: AdapterKind; description: string }> = [];
  for (const icd of [null, cpuDriverIcd('lavapipe'), cpuDriverIcd('swiftshader')]) {
    const adapter = await requestDawnAdapter(icd).catch(() => null);
    if (!adapter) continue;
    const kind = kindOf(adapter);
    if (kind !== inUse && !found.some((f) => f.kind === kind)) found.push({ kind, description: adapter.info.description });
  }
  return found;
}

export async function openNodeDevice(): Promise<OpenedDevice> {
  const opened = await openDevice(await requestNodeAdapter());
  if (isCpuAdapter(opened.summary)) yieldToCpuDriver();
  return opened;
}

// Dawn's Node binding waits for GPU work (mapAsync, onSubmittedWorkDone) by re-queueing itself
// with setImmediate: the main thread spins a whole core while it waits. On a CPU driver that core
// is one the "GPU" itself needs: a demo RL step on SwiftShader took 32 s with the spin at full
// priority and 22 s with it at the lowest. Linux niceness is per thread and setPriority(0, …)
// sets the calling thread's, so the driver's workers, already started with the device, keep theirs.
function yieldToCpuDriver(): void {
  try {
    setPriority(0, 19);
  } catch {
    // A platform that refuses it keeps the default priority: slower, not wrong.
  }
}
