import { it } from 'vitest';
import { testGpu } from '../helpers/testGpu.ts';
it('a', async () => { console.log('start'); const gpu = await testGpu(); console.log('got', gpu.adapter.vendor);
  const t0 = Date.now(); let s = 0; while (Date.now() - t0 < 300) s += Math.random(); console.log('spun');
  await gpu.sync(); console.log('synced');
});
