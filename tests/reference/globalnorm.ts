// Float64 reference for the global gradient norm and torch.nn.utils.clip_grad_norm_'s factor:
// norm = sqrt(Σ over all tensors of Σ g²), clip = min(1, maxNorm / (norm + 1e-6)).
export function globalNorm(grads: readonly Float64Array[], maxNorm: number) {
  let sumSq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sumSq += g[i]! * g[i]!;
  const norm = Math.sqrt(sumSq);
  return { norm, clip: Math.min(1, maxNorm / (norm + 1e-6)) };
}
