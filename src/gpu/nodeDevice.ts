// Node's way to a device: Dawn from the `webgpu` npm package. On a machine without a GPU,
// Dawn finds no Vulkan driver it accepts; Debian's chromium package ships SwiftShader's, and
// pointing the Vulkan loader at it (before the next instance is created) gives a CPU adapter.
import { existsSync, mkdirSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoAdapterError, openDevice, type OpenedDevice } from './adapter.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const INSTALL_HINT =
  'On Linux without a GPU install SwiftShader and the Vulkan loader with ' +
  '`apt-get install -y chromium libvulkan1`; with a GPU install its Vulkan driver.';

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

async function requestDawnAdapter(): Promise<GPUAdapter | null> {
  quietWindowSystemProbe();
  const { create, globals } = await import('webgpu');
  // Dawn's classes (GPUBufferUsage, GPUMapMode, ...) must be globals for WebGPU code to run.
  Object.assign(globalThis, globals);
  const instance = create([]);
  dawnInstances.push(instance);
  return instance.requestAdapter({ powerPreference: 'high-performance' });
}

export async function openNodeDevice(): Promise<OpenedDevice> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await requestDawnAdapter();
  } catch (error) {
    throw new NoAdapterError(`Dawn (the \`webgpu\` npm package) failed to load: ${String(error)}. ${INSTALL_HINT}`);
  }
  if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    adapter = await requestDawnAdapter();
  }
  if (!adapter) throw new NoAdapterError(INSTALL_HINT);
  const opened = await openDevice(adapter);
  if (opened.summary.architecture === 'swiftshader') yieldToSwiftShader();
  return opened;
}

// Dawn's Node binding waits for GPU work (mapAsync, onSubmittedWorkDone) by re-queueing itself
// with setImmediate: the main thread spins a whole core while it waits. On SwiftShader that core
// is one the "GPU" itself needs: a demo RL step took 32 s with the spin at full priority and 22 s
// with it at the lowest. Linux niceness is per thread and setPriority(0, …) sets the calling
// thread's, so SwiftShader's workers, already started with the device, keep theirs.
function yieldToSwiftShader(): void {
  try {
    setPriority(0, 19);
  } catch {
    // A platform that refuses it keeps the default priority: slower, not wrong.
  }
}
