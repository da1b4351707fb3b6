// The README's pictures of the page: the built lab (npm run build first) in headless Chromium on
// SwiftShader at 1440 × 900, once set up and once mid-run with the dataset table scrolled into view,
// written to docs/screenshots/. A short run of the demo preset with small batches, so the charts
// have a few points: npx tsx scripts/screenshot-page.ts [steps]
import { mkdirSync } from 'node:fs';
import { openLab } from '../tests/e2e/browser.ts';

const steps = Number(process.argv[2] ?? 4);
const out = 'docs/screenshots';
mkdirSync(out, { recursive: true });

const lab = await openLab();
try {
  const { page } = lab;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(lab.url);
  const status = page.getByTestId('model-status');
  while ((await status.getAttribute('data-status')) !== 'ready') await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/lab-setup.png` });

  await page.getByTestId('train-steps').fill(String(steps));
  for (const [key, value] of [['prompts_per_step', '4'], ['num_generations', '4'], ['per_device_train_batch_size', '4'], ['max_completion_length', '24'], ['eval_steps', '2']]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('train-eval-limit').fill('32');
  await page.getByTestId('train-start').click();
  const progress = page.getByTestId('train-progress');
  // Mid-run: a step before the last.
  while (Number(await progress.getAttribute('data-step')) < steps - 1) await page.waitForTimeout(1000);
  await page.getByTestId('label-table').evaluate((table) => table.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(1500); // the charts render a little after each step
  await page.screenshot({ path: `${out}/lab-mid-run.png` });
  process.stdout.write(`wrote ${out}/lab-setup.png and ${out}/lab-mid-run.png\n`);
} finally {
  await lab.close();
}
