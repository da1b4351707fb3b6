// The engine's handle on one WebGPU device: tensors from a buffer pool, compute pipelines
// compiled once and cached by every constant baked into them, dispatches whose bind group and
// uniforms are made once and replayed, one compute pass per submitted phase, and read-back of
// the few values a step needs. Errors from the device (validation, out of memory, loss) are
// collected and thrown from the next submit or read, never dropped.
import type { AdapterSummary, OpenedDevice } from './adapter.ts';
import { BufferPool } from './bufferPool.ts';
import { widenHalves } from './halfFloats.ts';
import { packParams, type ParamField } from './params.ts';
import type { ShaderName, ShaderSources } from './shaderSources.ts';

/**
 * How a tensor's values are stored: 'f32' (or u32 token ids), 4 bytes each; 'f16' or 'bf16', a
 * frozen weight as its checkpoint stores it, two values packed in each u32 (value 2j in the low
 * half of word j), unpacked by the kernels that read it.
 */
export type TensorDtype = 'f32' | 'f16' | 'bf16';

/**
 * A GPU array with a row-major shape: a buffer of its own, or (byteOffset > 0, from `rows`) a
 * view of some of another tensor's rows.
 */
export class Tensor {
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly label: string,
    readonly byteOffset = 0,
    readonly dtype: TensorDtype = 'f32',
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Bytes it binds: 4 per value, or 2 per packed 16-bit value rounded up to whole words. */
  get byteLength(): number {
    return this.dtype === 'f32' ? this.size * 4 : Math.ceil(this.size / 2) * 4;
  }

  /**
   * Rows [first, first + count) along the first dimension, bound as a tensor of their own (a
   * vocabulary chunk of lm_head). Binding it needs its byte offset to be a multiple of the
   * device's minStorageBufferOffsetAlignment. A view is never released: its tensor is.
   */
  rows(first: number, count: number): Tensor {
    const rows = this.shape[0]!;
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 1 && first + count <= rows)) {
      throw new RangeError(`${this.label}: rows [${first}, ${first + count}) are not inside its ${rows} rows`);
    }
    const rowElements = this.size / rows;
    const bytesPerValue = this.dtype === 'f32' ? 4 : 2;
    if (this.dtype !== 'f32' && (first * rowElements) % 2 !== 0) {
      throw new RangeError(`${this.label}: row ${first} starts inside a packed word (rows of ${rowElements} 16-bit values): view from an even value`);
    }
    const label = `${this.label} rows ${first}..${first + count}`;
    return new Tensor(this.buffer, [count, ...this.shape.slice(1)], label, this.byteOffset + first * rowElements * bytesPerValue, this.dtype);
  }
}

/** A pipeline bound to its buffers and uniforms: made once, encoded as often as needed. */
export interface Dispatch {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  /** Rewrites the uniforms in place (same fields, new values), e.g. a decode position. */
  setParams(fields: readonly ParamField[]): void;
  /** Floating-point operations of one run, where a launcher counts them (matmuls), for benchmarks. */
  readonly flops?: number;
}

export class GpuError extends Error {
  override name = 'GpuError';
}

const MAX_WORKGROUPS_PER_DIM = 65535;

/** Workgroup counts covering `n` invocations of `workgroupSize`, folded into y past 65535. */
export function grid1d(n: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

export class Gpu {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly pool: BufferPool;
  readonly hasTimestamps: boolean;
  /**
   * Bytes a run may plan to use. WebGPU does not say how much memory the GPU has, so this is a
   * setting (the memory planner checks runs against it), not a measurement. 4 GiB is what a
   * laptop GPU can usually spare for one tab.
   */
  memoryBudgetBytes = 4 * 2 ** 30;
  private readonly shaders: ShaderSources;
  private readonly modules = new Map<ShaderName, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private readonly errors: string[] = [];
  private lostMessage: string | null = null;
  private readonly lostListeners: Array<(message: string) => void> = [];

  /**
   * maxBindingBytes: a binding cap below the adapter's maxStorageBufferBindingSize
   * (LAB_MAX_BINDING_MIB, the page's setting, a test's few bytes). The summary then reports the
   * lowered limit, the one the lab works to: larger tensors are stored as row blocks.
   */
  constructor(opened: OpenedDevice, shaders: ShaderSources, { maxBindingBytes }: { maxBindingBytes?: number } = {}) {
    this.device = opened.device;
    const adapterCap = opened.summary.limits.maxStorageBufferBindingSize ?? this.device.limits.maxStorageBufferBindingSize;
    if (maxBindingBytes !== undefined && !(Number.isInteger(maxBindingBytes) && maxBindingBytes >= 256)) {
      throw new RangeError(`the binding cap must be a whole number of bytes ≥ 256, got ${maxBindingBytes}`);
    }
    const cap = Math.min(adapterCap, maxBindingBytes ?? adapterCap);
    this.adapter = { ...opened.summary, limits: { ...opened.summary.limits, maxStorageBufferBindingSize: cap } };
    this.shaders = shaders;
    this.pool = new BufferPool(this.device);
    this.hasTimestamps = this.device.features.has('timestamp-query');
    this.device.addEventListener('uncapturederror', (event) => {
      this.errors.push((event as GPUUncapturedErrorEvent).error.message);
    });
    void this.device.lost.then((info) => {
      if (info.reason === 'destroyed' && this.lostMessage === 'destroyed') return;
      this.lostMessage = `The GPU device was lost (${info.reason}): ${info.message}`;
      for (const listener of this.lostListeners) listener(this.lostMessage);
    });
  }

  /** Calls `listener` with a message if the device is lost (driver reset, out of memory, ...). */
  onLost(listener: (message: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** The most bytes one binding may hold: the adapter's limit, or the lower cap the Gpu was made with. */
  get maxBindingBytes(): number {
    return this.adapter.limits.maxStorageBufferBindingSize!;
  }

  // ---- tensors -------------------------------------------------------------------------------

  tensor(shape: readonly number[], label: string, data?: Float32Array | Uint32Array): Tensor {
    const t = new Tensor(this.pool.acquire(shape.reduce((a, b) => a * b, 1) * 4, label), shape, label);
    if (data) this.write(t, data);
    return t;
  }

  /** A frozen weight kept 16-bit: `halves` (f16 or bf16 bit patterns), packed two per u32. */
  packedTensor(shape: readonly number[], label: string, halves: Uint16Array, dtype: 'f16' | 'bf16'): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (halves.length !== size) throw new RangeError(`${label}: ${halves.length} values for shape [${shape.join(', ')}]`);
    const t = new Tensor(this.pool.acquire(Math.ceil(size / 2) * 4, label), shape, label, 0, dtype);
    const words = new Uint16Array(Math.ceil(size / 2) * 2);
    words.set(halves);
    this.device.queue.writeBuffer(t.buffer, 0, words.buffer, 0, words.byteLength);
    return t;
  }

  write(t: Tensor, data: Float32Array | Uint32Array, elementOffset = 0): void {
    if (t.dtype !== 'f32') throw new TypeError(`${t.label} is packed ${t.dtype}: write f32 values to an f32 tensor`);
    if (elementOffset + data.length > t.size) {
      throw new RangeError(`${t.label}: writing ${data.length} values at ${elementOffset} overflows ${t.size}`);
    }
    this.device.queue.writeBuffer(t.buffer, t.byteOffset + elementOffset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  release(...tensors: Tensor[]): void {
    for (const t of tensors) this.pool.release(t.buffer);
  }

  /** Copies `count` elements from `offset` back to the CPU: only scalars and ids on hot paths. */
  async read(t: Tensor, offset = 0, count = t.size - offset): Promise<ArrayBuffer> {
    // Staging buffers are kept by size: a decode loop reads the same few ids every step.
    const staging =
      this.staging.get(count)?.pop() ??
      this.device.createBuffer({ label: `read ${count} values`, size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: `read ${t.label}` });
    encoder.copyBufferToBuffer(t.buffer, t.byteOffset + offset * 4, staging, 0, count * 4);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (error) {
      this.throwIfFailed();
      throw new GpuError(`Reading ${t.label} back failed: ${String(error)}`);
    }
    const copy = staging.getMappedRange().slice(0);
    staging.unmap();
    this.staging.set(count, [...(this.staging.get(count) ?? []), staging]);
    this.throwIfFailed();
    return copy;
  }

  /** f32 values; a packed 16-bit tensor is read whole and widened. */
  async readF32(t: Tensor, offset = 0, count?: number): Promise<Float32Array> {
    if (t.dtype !== 'f32') {
      if (offset !== 0 || count !== undefined) throw new RangeError(`${t.label} is packed ${t.dtype}: read it whole`);
      const words = await this.read(t, 0, t.byteLength / 4);
      return widenHalves(new Uint16Array(words, 0, t.size), t.dtype);
    }
    return new Float32Array(await this.read(t, offset, count));
  }

  async readU32(t: Tensor, offset = 0, count?: number): Promise<Uint32Array> {
    return new Uint32Array(await this.read(t, offset, count));
  }

  // ---- pipelines and dispatches --------------------------------------------------------------

  /** The compiled pipeline for one entry point with its override constants, made once. */
  pipeline(shader: ShaderName, entryPoint: string, constants: Record<string, number> = {}): GPUComputePipeline {
    const constantKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',');
    const key = `${shader}:${entryPoint}:${constantKey}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      this.device.pushErrorScope('validation');
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(shader), entryPoint, constants },
      });
      void this.device.popErrorScope().then((error) => {
        if (error) this.errors.push(`Pipeline ${key} failed to build: ${error.message}`);
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** The WGSL source of one op family, for printing while debugging a kernel. */
  shaderSource(shader: ShaderName): string {
    return this.shaders[shader];
  }

  private module(shader: ShaderName): GPUShaderModule {
    let module = this.modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: `shaders/${shader}.wgsl`, code: this.shaders[shader] });
      void module.getCompilationInfo().then((info) => {
        for (const m of info.messages) {
          if (m.type === 'error') this.errors.push(`shaders/${shader}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`);
        }
      });
      this.modules.set(shader, module);
    }
    return module;
  }

  /**
   * Binds `buffers` to @binding(1..n) in order and the uniforms to @binding(0), as every kernel
   * declares them: outputs first, then inputs, then weights (llm.c's argument order).
   */
  dispatch(
    label: string,
    pipeline: GPUComputePipeline,
    buffers: readonly Tensor[],
    params: readonly ParamField[],
    workgroups: readonly [number, number?, number?],
  ): Dispatch {
    const uniform = this.device.createBuffer({
      label: `${label} params`,
      size: packParams(params).byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(uniform, 0, packParams(params));
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    const alignment = this.device.limits.minStorageBufferOffsetAlignment;
    const cap = this.maxBindingBytes;
    buffers.forEach((t, i) => {
      if (t.byteLength > cap) {
        throw new RangeError(`${label}: ${t.label} is ${t.byteLength} bytes, over the ${cap}-byte binding cap: it must be stored as row blocks`);
      }
      if (t.byteOffset % alignment !== 0) {
        throw new RangeError(`${label}: ${t.label} starts at byte ${t.byteOffset}, not a multiple of this device's minStorageBufferOffsetAlignment (${alignment})`);
      }
      entries.push({ binding: i + 1, resource: { buffer: t.buffer, offset: t.byteOffset, size: t.byteLength } });
    });
    const bindGroup = this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
    const queue = this.device.queue;
    return {
      label,
      pipeline,
      bindGroup,
      workgroups: [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1],
      setParams(fields) {
        queue.writeBuffer(uniform, 0, packParams(fields));
      },
    };
  }

  /** Encodes the dispatches in order into one compute pass and submits them as one phase. */
  run(dispatches: readonly Dispatch[], label = 'phase', timestampWrites?: GPUComputePassTimestampWrites): void {
    if (this.lostMessage) throw new GpuError(this.lostMessage);
    const encoder = this.device.createCommandEncoder({ label });
    const pass = encoder.beginComputePass(timestampWrites ? { label, timestampWrites } : { label });
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Zeroes tensors (gradients before accumulation), as a phase of its own. */
  clear(tensors: readonly Tensor[], label = 'clear'): void {
    if (this.lostMessage) throw new GpuError(this.lostMessage);
    const encoder = this.device.createCommandEncoder({ label });
    for (const t of tensors) encoder.clearBuffer(t.buffer, t.byteOffset, t.size * 4);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Copies all of `src` into `dst` from element `dstOffset` (decode's sampled ids into a history of them), as a phase of its own. */
  copy(src: Tensor, dst: Tensor, dstOffset = 0, label = 'copy'): void {
    if (this.lostMessage) throw new GpuError(this.lostMessage);
    if (dstOffset + src.size > dst.size) throw new RangeError(`${label}: ${src.size} values of ${src.label} at ${dstOffset} overflow ${dst.label} (${dst.size})`);
    const encoder = this.device.createCommandEncoder({ label });
    encoder.copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset + dstOffset * 4, src.size * 4);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Waits for submitted work, then throws any error the device reported meanwhile. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /**
   * Seconds the GPU spent on one phase of `dispatches`: from timestamp queries where the
   * adapter has them, otherwise wall-clock time from submit until the queue is idle.
   */
  async time(dispatches: readonly Dispatch[], label = 'timed'): Promise<number> {
    if (!this.hasTimestamps) {
      await this.sync();
      const start = performance.now();
      this.run(dispatches, label);
      await this.sync();
      return (performance.now() - start) / 1000;
    }
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolved = this.device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.run(dispatches, label, { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
    const encoder = this.device.createCommandEncoder();
    encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, 16);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(staging.getMappedRange());
    const seconds = Number(end! - begin!) / 1e9;
    staging.destroy();
    resolved.destroy();
    querySet.destroy();
    this.throwIfFailed();
    return seconds;
  }

  private throwIfFailed(): void {
    if (this.lostMessage) throw new GpuError(this.lostMessage);
    if (this.errors.length > 0) {
      const messages = this.errors.splice(0);
      throw new GpuError(messages.join('\n'));
    }
  }

  destroy(): void {
    this.lostMessage = 'destroyed';
    this.pool.trim();
    for (const list of this.staging.values()) for (const buffer of list) buffer.destroy();
    this.device.destroy();
  }
}
