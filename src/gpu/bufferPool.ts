// Storage buffers are reused by exact (256-byte rounded) size: a model allocates the same
// shapes step after step, so a released buffer is almost always taken again as it is.
const ROUND = 256;

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private liveBytes = 0;
  private pooledBytes = 0;
  /** The most bytes held at once, in use or pooled for reuse: what the GPU really had to give. */
  private peakBytes = 0;
  /**
   * Buffers are pooled for reuse only while everything held stays within this many bytes (a run's
   * memory plan): generation batches and update graphs of new lengths release buffers in sizes the
   * next may never take, and pooled without a bound they would add up past the plan.
   */
  private holdLimit = Infinity;
  /** Set while discarding(): released buffers are destroyed instead of pooled. */
  private discardReleases = false;

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
    this.makeRoomFor(size);
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
    if (this.discardReleases) {
      this.liveBytes -= buffer.size;
      buffer.destroy();
      return;
    }
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

  /** Hold at most `bytes` in use and pooled together where freeing pooled buffers can keep it so (a run's planned total). */
  holdAtMost(bytes: number): void {
    this.holdLimit = bytes;
  }

  /** Frees pooled buffers, the sizes pooled first going first, until `size` more fits the hold limit or none are left. */
  private makeRoomFor(size: number): void {
    for (const [bucket, list] of this.free) {
      while (list.length > 0 && this.liveBytes + this.pooledBytes + size > this.holdLimit) {
        list.pop()!.destroy();
        this.pooledBytes -= bucket;
      }
      if (list.length === 0) this.free.delete(bucket);
      if (this.liveBytes + this.pooledBytes + size <= this.holdLimit) return;
    }
  }

  /**
   * Runs `releases` with every buffer it releases destroyed, not pooled: for shapes that seldom come
   * back (an evicted graph's), where no run's plan bounds the pool. What is pooled already stays.
   */
  discarding(releases: () => void): void {
    this.discardReleases = true;
    try {
      releases();
    } finally {
      this.discardReleases = false;
    }
  }

  /** Frees the buffers held for reuse: after shapes that will not come back were released, or at the end. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
