// Opening a WebGPU device, the same way for the browser and for Node: the caller hands in its
// `GPU` object (navigator.gpu, or Dawn's); this module asks for the largest limits the adapter
// offers, turns on the features the engine can use, and reports device loss instead of hiding it.

/**
 * Which WebGPU implementation runs the kernels. The CPU ones (SwiftShader, Mesa's lavapipe, which
 * reports itself as llvmpipe, and Windows' WARP) are tuned as CPUs: small workgroups, no
 * workgroup-memory tiles (matmulTuning).
 */
export type AdapterKind = 'swiftshader' | 'lavapipe' | 'warp' | 'gpu';

export const CPU_ADAPTER_KINDS: readonly AdapterKind[] = ['swiftshader', 'lavapipe', 'warp'];

/** What `lab info` prints and the page shows: enough to tell which adapter runs the kernels. */
export interface AdapterSummary {
  kind: AdapterKind;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
}

/** Thrown when no WebGPU adapter exists at all; its message says what to install. */
export class NoAdapterError extends Error {
  constructor(hint: string) {
    super(`No WebGPU adapter was found. ${hint}`);
    this.name = 'NoAdapterError';
  }
}

/** Limits the engine raises from WebGPU's defaults to whatever the adapter offers. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Optional features the engine uses where present. */
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

/** The implementation an adapter's info names; anything not known as a CPU one is a GPU. */
export function adapterKind(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): AdapterKind {
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  if (/swiftshader/i.test(text)) return 'swiftshader';
  if (/llvmpipe|lavapipe/i.test(text)) return 'lavapipe';
  if (/microsoft basic render driver|\bwarp\b/i.test(text)) return 'warp';
  return 'gpu';
}

export function isCpuAdapter(summary: Pick<AdapterSummary, 'kind'>): boolean {
  return CPU_ADAPTER_KINDS.includes(summary.kind);
}

export function summarizeAdapter(adapter: GPUAdapter, device?: GPUDevice): AdapterSummary {
  const info = adapter.info;
  const limitsSource = device?.limits ?? adapter.limits;
  const limits: Record<string, number> = {};
  // GPUSupportedLimits exposes its fields as prototype getters, so Object.keys sees nothing.
  for (const key in limitsSource) {
    const value = (limitsSource as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  return {
    kind: adapterKind(info),
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: [...(device?.features ?? adapter.features)].sort(),
    limits,
  };
}

export interface OpenedDevice {
  device: GPUDevice;
  summary: AdapterSummary;
}

/** Requests a device with the raised limits and wanted features this adapter supports. */
export async function openDevice(adapter: GPUAdapter): Promise<OpenedDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: 'alphaalign-lab',
    requiredLimits,
    requiredFeatures,
  });
  return { device, summary: summarizeAdapter(adapter, device) };
}
