// The LM head over vocabulary chunks against float64: logits = x · Wᵀ made and dropped a chunk at
// a time must give the log-probs, lse, entropy, ∂x and ∂W of the whole (R, V) logits, whatever
// the chunk count (one chunk; chunks that divide V; chunks that do not).
import { describe, expect, it } from 'vitest';
import { RowBlocks } from '../../src/gpu/rowBlocks.ts';
import { VocabularyHead } from '../../src/model/vocabHead.ts';
import { logitsChunkColumns } from '../../src/model/memoryPlanner.ts';
import * as mm from '../reference/matmul.ts';
import * as ref from '../reference/logsoftmax.ts';
import { expectClose, scaledTolerance } from '../helpers/compare.ts';
import { randInts, randn } from '../helpers/random.ts';
import { runAndRead, testGpu, upload, uploadU32 } from '../helpers/testGpu.ts';

describe('VocabularyHead', () => {
  const [R, C, V, T] = [6, 16, 300, 0.8];
  const x = randn(R * C, 41);
  const W = randn(V * C, 42, 0.5);
  const targets = randInts(R, V, 43);
  targets[R - 1] = V - 1; // in the last, narrower chunk
  const dlogprob = randn(R, 44);
  const dentropy = randn(R, 45);
  const logits = mm.matmulForward(x, W, null, R, V, C, 'NT');
  const lp = ref.logprobForward(logits, targets, R, V, T);
  const ent = ref.entropyForward(logits, R, V, T);
  const dl = ref.logprobBackward(dlogprob, logits, targets, R, V, T);
  const de = ref.entropyBackward(dentropy, logits, R, V, T);
  const dlogits = dl.map((g, i) => g + de[i]!);
  const dx = mm.matmulForward(dlogits, W, null, R, C, V, 'NN');
  const startW = randn(V * C, 46);
  const dW = mm.matmulForward(dlogits, x, null, V, C, R, 'TN').map((g, i) => g + startW[i]!);

  // C = 16: a chunk starts at a 256-byte boundary of W every 4 rows. 60 and 100 divide 300, 64
  // and 28 do not divide 300. W in row blocks of 128 rows (as over a binding cap of 8 KiB): chunks
  // stop at the blocks' ends (128 = 2·64, and 28 leaves 16 at the end of each block).
  for (const [columns, blockRows] of [[300, 300], [60, 300], [100, 300], [64, 300], [28, 300], [300, 128], [64, 128], [28, 128]] as const) {
    it(`gives the whole vocabulary's results in chunks of ${columns}, W in blocks of ${blockRows} rows`, async () => {
      const gpu = await testGpu();
      const head = new VocabularyHead(gpu, R, V, C, columns, blockRows);
      const blocks = Math.ceil(V / blockRows);
      expect(head.chunks.length).toBe(blockRows === V ? Math.ceil(V / columns) : [128, 128, 44].reduce((a, rows) => a + Math.ceil(rows / Math.min(columns, blockRows)), 0));
      expect(head.chunks.every((c) => Math.floor(c.first / blockRows) === Math.floor((c.first + c.columns - 1) / blockRows))).toBe(true);
      const xT = upload(gpu, [R, C], x);
      const WT = RowBlocks.allocate(gpu, V, C, blockRows, 'W', Float32Array.from(W));
      expect(WT.blocks.length).toBe(blocks);
      const targetsT = uploadU32(gpu, [R], targets);
      const out = { logprob: gpu.tensor([R], 'logprob'), lse: gpu.tensor([R], 'lse'), entropy: gpu.tensor([R], 'entropy') };
      const dxT = upload(gpu, [R, C], randn(R * C, 47, 100), 'dx'); // garbage to overwrite
      const dWT = RowBlocks.allocate(gpu, V, C, blockRows, 'dW', Float32Array.from(startW)); // accumulated onto
      const full = upload(gpu, [R, V], randn(R * V, 48, 100), 'logits'); // garbage to overwrite
      const grads = { dlogprob: upload(gpu, [R], dlogprob), entropy: { dentropy: upload(gpu, [R], dentropy), entropy: out.entropy } };
      const [logprob, lse, entropy, gotDx, gotLogits] = await runAndRead(
        gpu,
        [...head.forward(out, xT, WT, targetsT, T), ...head.backward(dxT, dWT, grads, xT, WT, targetsT, out.lse, T), ...head.logits(full, xT, WT)],
        out.logprob,
        out.lse,
        out.entropy,
        dxT,
        full,
      );
      const gotDW = await dWT.download(gpu);
      expectClose(gotLogits!, logits, scaledTolerance(logits, 1e-5), 'full logits');
      expectClose(logprob!, lp.logprob, scaledTolerance(lp.logprob, 1e-5), 'logprob');
      expectClose(lse!, lp.lse, scaledTolerance(lp.lse, 1e-5), 'lse');
      expectClose(entropy!, ent.entropy, scaledTolerance(ent.entropy, 1e-5), 'entropy');
      expectClose(gotDx!, dx, scaledTolerance(dx, 1e-4), 'dx');
      expectClose(gotDW!, dW, scaledTolerance(dW, 1e-4), 'dW');
      gpu.release(xT, ...WT.blocks, targetsT, dxT, ...dWT.blocks, full, grads.dlogprob, grads.entropy.dentropy, ...Object.values(out));
      head.release();
    });
  }

  it('refuses a chunk width whose chunks cannot be bound, and names the way out', async () => {
    const gpu = await testGpu();
    expect(() => new VocabularyHead(gpu, R, V, C, 30)).toThrow(/chunks of 30 rows of lm_head \(16 wide\) do not start at 256-byte offsets: take the width from logitsChunkColumns/);
  });

  it('takes its widths from logitsChunkColumns: all of V when it fits, else bindable chunks within the bytes', () => {
    expect(logitsChunkColumns(300, 16, 6, 1 << 20)).toBe(300);
    // 6 rows × 4 bytes × 40 columns = 960 bytes fit in 1000; 40 is a multiple of 8 (16-wide rows
    // of lm_head stored 16-bit, 32 bytes each: 8 fill 256 bytes, so a chunk binds packed or f32).
    expect(logitsChunkColumns(300, 16, 6, 1000)).toBe(40);
    // 48-wide rows: 8 rows per 256 bytes 16-bit (3·256 = 8·96); 896-wide (Qwen2.5-0.5B): every row.
    expect(logitsChunkColumns(151_936, 48, 2048, 32 * 2 ** 20) % 8).toBe(0);
    expect(logitsChunkColumns(151_936, 896, 2048, 32 * 2 ** 20)).toBe(4096);
    // Never less than one bindable group of rows, however little the bytes.
    expect(logitsChunkColumns(300, 16, 6, 1)).toBe(8);
  });
});
