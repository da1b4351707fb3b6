// Graphs (buffers and dispatch lists) by sequence length, the most recently used last. A run meets
// many lengths and each needs its own buffers, so graphs are kept only while their planned bytes
// together stay within a budget (the memory plan's one graph at the longest length), the least
// recently used going first. The RL trainer's update graphs and a generator's prefill graphs.
export class GraphsByLength<G> {
  private readonly graphs = new Map<number, G>();

  constructor(
    /** Planned bytes of a graph of this length. */
    private readonly bytes: (length: number) => number,
    private readonly budget: number,
    private readonly build: (length: number) => G,
    private readonly release: (graph: G) => void,
  ) {}

  /** The graph of this length: kept, or built after evicting what it would not fit beside. */
  get(length: number): G {
    const known = this.graphs.get(length);
    if (known) {
      this.graphs.delete(length);
      this.graphs.set(length, known);
      return known;
    }
    let kept = [...this.graphs.keys()].reduce((sum, l) => sum + this.bytes(l), 0);
    for (const [l, graph] of this.graphs) {
      if (kept + this.bytes(length) <= this.budget) break;
      this.graphs.delete(l);
      this.release(graph);
      kept -= this.bytes(l);
    }
    const graph = this.build(length);
    this.graphs.set(length, graph);
    return graph;
  }

  releaseAll(): void {
    for (const graph of this.graphs.values()) this.release(graph);
    this.graphs.clear();
  }
}
