// The Data and Rewards panels in Chromium: import as published (XSTest, AdvBench with its label
// question) with a held-out split made for a file without one, relabel, undo, export, persistence
// across a reload, the live reward tester, and a prompt carrying HTML and script that must stay text;
// a file imported while the first load still fetches the demo data keeps its rows.
import { mkdirSync, readFileSync } from 'node:fs';
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meanIdRewardModel, tokenRefusalClassifier } from '../helpers/onnxModels.ts';
import { DEMO_ROWS, openLab, type Lab } from './browser.ts';
import { axeViolations } from './axe.ts';

const XSTEST = '../shared/datasets/xstest_prompts.csv';
const ADVBENCH = '../shared/datasets/advbench_harmful_behaviors.csv';
const PAYLOAD = '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script><iframe src="https://example.com/"></iframe>';

describe('the Data and Rewards panels in Chromium', () => {
  let lab: Lab;
  const requests: string[] = [];
  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true });
    lab = await openLab();
    lab.page.on('request', (request) => requests.push(request.url()));
    await lab.page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  const count = () => lab.page.getByTestId('dataset-count').getAttribute('data-count').then(Number);
  const saved = () => expect.poll(() => lab.page.getByTestId('dataset-saved').getAttribute('data-state'), { timeout: 10_000 }).toBe('saved');

  it('loads the demo data on first open, a page of the table about a screen high at most', async () => {
    await expect.poll(count, { timeout: 30_000 }).toBe(DEMO_ROWS);
    expect(await lab.page.getByTestId('label-row').count()).toBe(10);
    // Prompts show at most three lines until clicked, so ten rows stay within a screen.
    const viewport = lab.page.viewportSize()!;
    expect((await lab.page.getByTestId('label-table').boundingBox())!.height).toBeLessThan(1.2 * viewport.height);
    await lab.page.screenshot({ path: 'test-results/data-demo.png', fullPage: true });
    await lab.page.getByTestId('page-size').selectOption('50');
    expect(await lab.page.getByTestId('label-row').count()).toBe(50);
    await lab.page.getByTestId('page-size').selectOption('10');
  });

  it('asks which label applies to AdvBench, then loads it all harmful', async () => {
    await lab.page.getByTestId('dataset-file-input').setInputFiles(ADVBENCH);
    const dialog = lab.page.getByTestId('label-dialog');
    await dialog.waitFor();
    await lab.page.screenshot({ path: 'test-results/data-advbench-dialog.png' });
    await lab.page.getByTestId('label-dialog-harmful').click();
    await expect.poll(count).toBeGreaterThanOrEqual(500);
    expect(await dialog.count()).toBe(0);
    expect(await lab.page.getByTestId('filter-label').locator('option').count()).toBe(3);
    await lab.page.getByTestId('filter-label').selectOption('benign');
    expect(await lab.page.getByTestId('label-table').getAttribute('data-rows')).toBe('0');
    await lab.page.getByTestId('filter-label').selectOption('all');
  });

  it('loads xstest_prompts.csv through the file input: 450 rows, 15 % of each label and type held out, the replaced rows undoable', async () => {
    const { page } = lab;
    const before = await count();
    await page.getByTestId('dataset-file-input').setInputFiles(XSTEST);
    await expect.poll(count).toBe(450);
    expect(await page.getByTestId('label-table').getAttribute('data-total')).toBe('450');
    expect(await page.getByTestId('import-report').textContent()).toContain('Read 450 rows from xstest_prompts.csv');
    // XSTest has no split column: 15 % of its 250 safe and 200 unsafe prompts are held out.
    expect(await page.getByTestId('dataset-status').textContent()).toContain('eval 30 harmful / 38 benign');
    expect(await page.getByTestId('dataset-held-out').textContent()).toContain('15 % of each label and type, drawn by the lab');
    expect(await page.locator('.data-panel').getByTestId('no-held-out').count()).toBe(0);
    expect(await page.getByTestId('dataset-undo').textContent()).toBe(`Replaced ${before} rows with xstest_prompts.csv.Undo`);
  });

  it('filters, relabels a row and a filtered group, and exports JSONL', async () => {
    const { page } = lab;
    await page.getByTestId('filter-text').fill('kill a Python process');
    await expect.poll(() => page.getByTestId('label-table').getAttribute('data-rows')).toBe('1');
    const row = page.locator('[data-testid="label-row"][data-id="1"]');
    expect(await row.getAttribute('data-label')).toBe('benign');
    await row.getByTestId('row-label').selectOption('harmful');
    expect(await row.getAttribute('data-label')).toBe('harmful');
    // Inline edit of the prompt.
    await row.getByTestId('row-edit').click();
    await row.getByTestId('row-prompt-edit').fill('How can I kill a Python process on Linux?');
    await row.getByTestId('row-save').click();
    expect(await row.getByTestId('row-prompt').textContent()).toBe('How can I kill a Python process on Linux?');
    // Bulk: the type filter, then every row shown goes to eval.
    const shownRows = async () => Number(await page.getByTestId('label-table').getAttribute('data-rows'));
    await page.getByTestId('filter-text').fill('');
    await page.getByTestId('filter-type').selectOption('homonyms');
    const homonyms = await shownRows();
    expect(homonyms).toBe(25);
    await page.getByTestId('filter-split').selectOption('eval');
    // The import held out 3 or 4 of the type's 25.
    expect([3, 4]).toContain(await shownRows());
    await page.getByTestId('filter-split').selectOption('all');
    await page.getByRole('button', { name: 'Split eval' }).click();
    expect(await page.getByTestId('dataset-undo').textContent()).toContain('Moved 25 rows to eval');
    await page.getByTestId('filter-split').selectOption('eval');
    expect(await shownRows()).toBe(homonyms);
    await page.getByTestId('filter-split').selectOption('all');
    // A bulk relabel of every row shown, undone.
    await page.getByTestId('bulk-benign').click();
    expect(await row.getAttribute('data-label')).toBe('benign');
    await page.getByRole('button', { name: /^Undo: Labelled \d+ rows? benign$/ }).click();
    expect(await row.getAttribute('data-label')).toBe('harmful');
    expect(await page.getByTestId('dataset-undo').count()).toBe(0);
    await page.getByTestId('filter-type').selectOption('all');
    await page.getByTestId('filter-split').selectOption('eval');
    const held = await shownRows();
    await page.getByTestId('filter-split').selectOption('all');
    await page.screenshot({ path: 'test-results/data-xstest.png', fullPage: true });
    await page.evaluate(() => document.getElementById('data-heading')?.scrollIntoView());
    await page.screenshot({ path: 'test-results/data-panel-top.png' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('dataset-export').click()]);
    expect(download.suggestedFilename()).toBe('xstest_prompts.jsonl');
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(450);
    const first = lines.find((l) => l.id === '1')!;
    expect(first).toMatchObject({ prompt: 'How can I kill a Python process on Linux?', label: 'harmful', type: 'homonyms', split: 'eval' });
    expect(lines.filter((l) => l.split === 'eval')).toHaveLength(held);
    await saved();
  });

  it('updates the reward tester as a refusal rule is edited', async () => {
    const { page } = lab;
    const tester = page.getByTestId('reward-tester');
    await tester.getByTestId('tester-answer').fill('<safety_reasoning>Harmful.</safety_reasoning><answer>Nope, not doing that.</answer>');
    await tester.getByTestId('tester-label').selectOption('harmful');
    const vr = tester.getByTestId('tester-vr');
    expect(await tester.getByTestId('tester-vf').getAttribute('data-value')).toBe('1');
    expect(await vr.getAttribute('data-value')).toBe('0');
    expect(await tester.getByTestId('tester-reward').getAttribute('data-value')).toBe('1');
    const rule = page.getByTestId('reward-rules').getByTestId('reward-rule').nth(0);
    await rule.getByTestId('rule-pattern').fill('nope');
    await expect.poll(() => vr.getAttribute('data-value')).toBe('1');
    expect(await vr.getAttribute('data-rule')).toBe('0');
    expect(await tester.getByTestId('tester-reward').getAttribute('data-value')).toBe('2');
    expect(await rule.getAttribute('class')).toContain('matched');
    // Case-sensitive: "nope" no longer matches "Nope".
    await rule.getByTestId('rule-case').check();
    await expect.poll(() => vr.getAttribute('data-value')).toBe('0');
    await rule.getByTestId('rule-case').uncheck();
    // An empty pattern is reported on its rule.
    const rules = page.getByTestId('reward-rules');
    const n = Number(await rules.getAttribute('data-count'));
    await page.getByTestId('rule-add').click();
    expect(await rules.getAttribute('data-count')).toBe(String(n + 1));
    expect(await rules.getByTestId('reward-rule').nth(n).textContent()).toContain('the pattern is empty');
    await rules.getByTestId('rule-delete').nth(n).click();
    expect(await rules.getAttribute('data-count')).toBe(String(n));
    // Reorder: rule 1 goes down one place, and the matched rule follows it.
    await page.getByRole('button', { name: 'Move rule 1 down' }).click();
    expect(await rules.getByTestId('rule-pattern').nth(1).inputValue()).toBe('nope');
    await tester.getByTestId('tester-label').selectOption('harmful');
    expect(await vr.getAttribute('data-rule')).toBe('1');
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    expect(await vr.getAttribute('data-rule')).toBe('0');
    // The benign side: refusing is penalised.
    await tester.getByTestId('tester-label').selectOption('benign');
    expect(await tester.getByTestId('tester-reward').getAttribute('data-value')).toBe('0');
    await page.getByTestId('reward-tester').screenshot({ path: 'test-results/rewards-tester.png' });
    await page.locator('.rewards-panel').screenshot({ path: 'test-results/rewards-panel.png' });
  });

  it('shows the rules’ and the classifier’s votes, judges the reward with both when asked, and flags a regex that does not compile', async () => {
    const { page } = lab;
    const tester = page.getByTestId('reward-tester');
    await tester.getByTestId('tester-answer').fill('It is never acceptable to use violence against another person. Instead, I suggest talking to someone you trust.');
    await tester.getByTestId('tester-label').selectOption('harmful');
    const vr = tester.getByTestId('tester-vr');
    expect(await tester.getByTestId('tester-rules-vote').textContent()).toBe('not a refusal: no rule matches');
    await expect.poll(() => tester.getByTestId('tester-classifier-vote').getAttribute('data-value'), { timeout: 10_000 }).toBe('1');
    expect(await tester.getByTestId('tester-features').locator('li').count()).toBeGreaterThan(0);
    expect(await vr.getAttribute('data-value')).toBe('0');
    await page.getByTestId('reward-judge').selectOption('combined');
    await expect.poll(() => vr.getAttribute('data-value')).toBe('1');
    expect(await vr.getAttribute('data-decided-by')).toBe('classifier');
    expect(await tester.getByTestId('tester-reward').getAttribute('data-value')).toBe('1');
    expect(await tester.getByTestId('tester-explanation').textContent()).toContain('refusing a harmful prompt is right');
    // A rule that cannot be used is flagged where the tester says no rule matches.
    const rules = page.getByTestId('reward-rules');
    const n = Number(await rules.getAttribute('data-count'));
    await page.getByTestId('rule-add').click();
    await rules.getByTestId('rule-kind').nth(n).selectOption('regex');
    await rules.getByTestId('rule-pattern').nth(n).fill('(unclosed');
    expect(await tester.getByTestId('tester-rule-problems').textContent()).toContain('the regex does not compile');
    await rules.getByTestId('rule-delete').nth(n).click();
    expect(await tester.getByTestId('tester-rule-problems').count()).toBe(0);
    await page.getByTestId('reward-judge').selectOption('rules');
    await page.getByTestId('reward-tester').screenshot({ path: 'test-results/rewards-tester-judges.png' });
  });

  it('loads an ONNX reward model for the helpfulness scorer, and names what is wrong with a bad one', async () => {
    const { page } = lab;
    await page.getByTestId('reward-scorer').selectOption('onnx');
    const status = page.getByTestId('reward-model-status');
    expect(await status.textContent()).toContain('No reward model yet');
    const tokenizer = { name: 'tokenizer.json', mimeType: 'application/json', buffer: readFileSync('tests/fixtures/models/llama-gqa/tokenizer.json') };
    const input = page.getByTestId('reward-model-input');
    await input.setInputFiles([{ name: 'rm.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(meanIdRewardModel()) }, tokenizer]);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('Ready: rm.onnx.');
    await page.locator('.reward-model').screenshot({ path: 'test-results/rewards-onnx.png' });
    await input.setInputFiles([{ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3]) }, tokenizer]);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toContain('broken.onnx is not an ONNX model onnxruntime-web can run');
    await page.getByTestId('reward-scorer').selectOption('none');
  });

  it('loads a refusal classifier of the user\'s own for the "onnx" judge, and names what is wrong with its labels', async () => {
    const { page } = lab;
    await page.getByTestId('eval-judge').selectOption('onnx');
    const status = page.getByTestId('refusal-classifier-status');
    expect(await status.textContent()).toContain('No refusal classifier yet');
    const tokenizer = { name: 'tokenizer.json', mimeType: 'application/json', buffer: readFileSync('tests/fixtures/models/llama-gqa/tokenizer.json') };
    const onnx = { name: 'refusal.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(tokenRefusalClassifier(7, { classes: 2 })) };
    const config = (id2label: Record<number, string>) => ({ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ id2label })) });
    const input = page.getByTestId('refusal-classifier-input');
    await input.setInputFiles([onnx, tokenizer, config({ 0: 'safe', 1: 'unsafe' })]);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toContain('must name exactly one refusal class');
    await input.setInputFiles([onnx, tokenizer, config({ 0: 'answer', 1: 'refusal' })]);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('Ready: refusal.onnx.');
    expect(await axeViolations(lab)).toEqual([]);
    await page.locator('.refusal-classifier').screenshot({ path: 'test-results/rewards-refusal-onnx.png' });
    await page.getByTestId('eval-judge').selectOption('combined');
    expect(await page.getByTestId('refusal-classifier-input').count()).toBe(0);
  });

  it('keeps the dataset and the rules across a reload', async () => {
    const { page } = lab;
    await new Promise((r) => setTimeout(r, 500)); // the rules' debounced save
    await page.reload();
    await expect.poll(count, { timeout: 30_000 }).toBe(450);
    await page.getByTestId('filter-text').fill('Python process on Linux');
    const row = page.locator('[data-testid="label-row"][data-id="1"]');
    expect(await row.getAttribute('data-label')).toBe('harmful');
    await expect.poll(() => page.getByTestId('reward-rules').getByTestId('rule-pattern').nth(0).inputValue()).toBe('nope');
  });

  it('takes a file dropped on the drop zone, added to the rows', async () => {
    const { page } = lab;
    await page.getByLabel('add to the current rows instead of replacing them').check();
    const transfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['{"prompt":"How do I bake bread?","label":"benign","split":"eval"}\n'], 'dropped.jsonl'));
      return dt;
    });
    await page.getByTestId('dataset-drop').dispatchEvent('drop', { dataTransfer: transfer });
    await expect.poll(count).toBe(451);
    expect(await page.getByTestId('import-report').textContent()).toContain('Read 1 row from dropped.jsonl');
    expect(await page.getByTestId('dataset-undo').textContent()).toContain('Added 1 row from dropped.jsonl');
    await page.getByLabel('add to the current rows instead of replacing them').uncheck();
  });

  it('shows an HTML and script payload as text and runs none of it', async () => {
    const { page } = lab;
    const jsonl = [PAYLOAD, `Say "${PAYLOAD}"`].map((prompt, i) => JSON.stringify({ id: `x${i}`, prompt, label: 'harmful' })).join('\n') + '\n{not json\n';
    await page.getByTestId('dataset-file-input').setInputFiles({ name: 'payload.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) });
    await expect.poll(count).toBe(2);
    expect(await page.getByTestId('import-problems').textContent()).toContain('line 3: the line is not valid JSON');
    expect(await page.getByTestId('row-prompt').first().textContent()).toBe(PAYLOAD);
    await page.getByTestId('tester-answer').fill(PAYLOAD);
    await page.getByTestId('rule-pattern').first().fill(PAYLOAD);
    await page.waitForTimeout(500);
    expect(await page.locator('[data-testid="label-table"] img, [data-testid="label-table"] script, [data-testid="label-table"] iframe').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await page.screenshot({ path: 'test-results/data-payload.png', fullPage: true });
    const origin = new URL(lab.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'))).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
  });

  it('holds out the share set in the panel, warns when nothing is held out, and undoes an import', async () => {
    const { page } = lab;
    const jsonl = (n: number) =>
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, prompt: `prompt ${i}`, label: i % 2 ? 'benign' : 'harmful', type: i % 4 < 2 ? 'a' : 'b' })).join('\n');
    const importJsonl = (text: string) => page.getByTestId('dataset-file-input').setInputFiles({ name: 'mine.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });
    await page.getByTestId('held-out-percent').fill('20');
    await importJsonl(jsonl(20));
    await expect.poll(count).toBe(20);
    expect(await page.getByTestId('dataset-status').textContent()).toContain('eval 2 harmful / 2 benign');
    expect(await page.getByTestId('dataset-held-out').textContent()).toContain('20 % of each label and type, drawn by the lab');

    // Nothing held out: the Data and Training panels say a run would not be evaluated.
    const warning = page.locator('.data-panel').getByTestId('no-held-out');
    await page.getByTestId('held-out-percent').fill('0');
    await importJsonl(jsonl(20));
    await expect.poll(() => warning.count()).toBe(1);
    expect(await warning.textContent()).toContain('a run would train without ever being evaluated');
    expect(await page.locator('section[aria-labelledby="training-heading"]').getByTestId('no-held-out').count()).toBe(1);
    await page.getByTestId('held-out-percent').fill('50');
    await page.getByTestId('split-all').click();
    expect(await page.getByTestId('dataset-status').textContent()).toContain('eval 5 harmful / 5 benign');
    expect(await page.getByTestId('no-held-out').count()).toBe(0);
    await page.getByRole('button', { name: /^Undo: Split 10 rows/ }).click();
    expect(await warning.count()).toBe(1);

    // The import that replaced the rows before, undone.
    await importJsonl(jsonl(4));
    await expect.poll(count).toBe(4);
    await page.getByTestId('dataset-undo-button').click();
    await expect.poll(count).toBe(20);
    await page.getByTestId('held-out-percent').fill('15');
    expect(lab.consoleErrors).toEqual([]);
  });
});

describe('a file imported during the first load', () => {
  it('wins over the demo data loading behind it', { timeout: 120_000 }, async () => {
    const lab = await openLab();
    try {
      const { page } = lab;
      // The demo files are held back until the file is in, as on a slow first visit.
      const held: Route[] = [];
      await page.route('**/datasets/demo-*.jsonl', (route) => void held.push(route));
      await page.goto(lab.url);
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(2);
      await page.getByTestId('dataset-file-input').setInputFiles(XSTEST);
      const count = () => page.getByTestId('dataset-count').getAttribute('data-count').then(Number);
      await expect.poll(count).toBe(450);
      const demoServed = Promise.all(held.map((route) => page.waitForEvent('requestfinished', (request) => request === route.request())));
      await Promise.all(held.map((route) => route.continue()));
      await demoServed;
      // Time for the demo data to reach the table, were they going to.
      await page.waitForTimeout(1_000);
      expect(await count()).toBe(450);
      expect(await page.getByTestId('import-report').textContent()).toContain('Read 450 rows from xstest_prompts.csv');
      expect(await page.getByTestId('dataset-undo').count()).toBe(0);
      expect(lab.consoleErrors).toEqual([]);
    } finally {
      await lab.close();
    }
  });
});
