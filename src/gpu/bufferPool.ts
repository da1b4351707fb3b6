// Storage buffers are reused by exact (256-byte rounded) size: a model allocates the same
// shapes step after step, so a released buffer is almost always taken again as it is.
const ROUND = 256;

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private liveBytes = 0;
  private pooledBytes = 0;
  /** The most bytes held at once, in use or pooled for reuse: what the GPU really had to give. */
  private peakBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(byteLength: number, label: string): GPUBuffer {
    const size = Math.max(ROUND, Math.ceil(byteLength / ROUND) * ROUND);
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.pooledBytes -= size;
      this.liveBytes += size;
      reused.label = label;
      return reused;
    }
    const buffer = this.device.createBuffer({
      label,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.pooledBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
    this.liveBytes -= buffer.size;
    this.pooledBytes += buffer.size;
  }

  /** Bytes handed out and not yet released, bytes held for reuse, and the most of both at once so far. */
  stats(): { liveBytes: number; pooledBytes: number; peakBytes: number } {
    return { liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, peakBytes: this.peakBytes };
  }

  /** Frees the buffers held for reuse: after shapes that will not come back were released, or at the end. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
