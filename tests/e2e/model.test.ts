// The Model panel in Chromium: a Hugging Face folder dropped on the page, a repo id fetched from
// the Hub (a route stands in for huggingface.co, which this machine cannot reach: the page's
// requests and the hub module's URLs are real), a pasted model page address, a checkpoint zip
// dropped where a model folder goes, a wrong model file and a network failure, each named with its
// own way out while the model already loaded stays loaded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLab, type Lab } from './browser.ts';

const FIXTURE = 'tests/fixtures/models/llama-gqa';
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];

/** Drops files (name → bytes) on a drop zone, as a DataTransfer built in the page. */
async function dropFiles(lab: Lab, testId: string, files: Record<string, Uint8Array>): Promise<void> {
  const encoded = Object.entries(files).map(([name, bytes]) => ({ name, base64: Buffer.from(bytes).toString('base64') }));
  const transfer = await lab.page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const { name, base64 } of list) dt.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name));
    return dt;
  }, encoded);
  await lab.page.getByTestId(testId).dispatchEvent('drop', { dataTransfer: transfer });
}

describe('the Model panel in Chromium', () => {
  let lab: Lab;
  const hubRequests: string[] = [];
  const failedRequests: string[] = [];
  beforeAll(async () => {
    lab = await openLab();
    lab.page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`));
    // The worker's fetches go through the context's routes.
    await lab.page.context().route('https://huggingface.co/**', async (route) => {
      const url = new URL(route.request().url());
      hubRequests.push(url.pathname);
      if (url.pathname.startsWith('/offline-org/')) return route.abort('internetdisconnected');
      const match = /^\/tiny-org\/tiny-llama\/resolve\/main\/(.+)$/.exec(url.pathname);
      const path = match ? join(FIXTURE, match[1]!) : '';
      if (!match || !MODEL_FILES.includes(match[1]!)) return route.fulfill({ status: 404, body: 'Entry not found' });
      return route.fulfill({ status: 200, body: readFileSync(path), headers: { 'content-length': String(statSync(path).size) } });
    });
    await lab.page.goto(lab.url);
  });
  afterAll(async () => {
    await lab?.close();
  });

  const status = () => lab.page.getByTestId('model-status');
  const ready = async (text: string) => {
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    await expect.poll(() => status().textContent(), { timeout: 120_000 }).toContain(text);
  };

  it('loads the demo model on first open, every request completed (none aborted)', async () => {
    await ready('Loaded demo model');
    expect(failedRequests).toEqual([]);
  });

  it('loads a Hugging Face folder dropped on the page', async () => {
    const files = Object.fromEntries(readdirSync(FIXTURE).filter((f) => MODEL_FILES.includes(f)).map((f) => [f, new Uint8Array(readFileSync(join(FIXTURE, f)))]));
    await dropFiles(lab, 'model-drop', files);
    await ready('Loaded 4 dropped files');
    expect(await status().textContent()).toContain('LlamaForCausalLM');
  });

  it('loads a checkpoint zip dropped where a model folder goes', async () => {
    // As the Export panel downloads one: the folder's files inside a top-level folder.
    const entries = Object.fromEntries(MODEL_FILES.map((f) => [`alphaalign-step-3/${f}`, new Uint8Array(readFileSync(join(FIXTURE, f)))]));
    await dropFiles(lab, 'model-drop', { 'alphaalign-step-3.zip': zipSync(entries) });
    await ready('Loaded alphaalign-step-3.zip');
    expect(await status().textContent()).toContain('LlamaForCausalLM');
    expect(await lab.page.getByTestId('model-error').count()).toBe(0);
  });

  it('names a single dropped file in the singular', async () => {
    await dropFiles(lab, 'model-drop', { 'config.json': new Uint8Array(readFileSync(join(FIXTURE, 'config.json'))) });
    const error = lab.page.getByTestId('model-error');
    await expect.poll(() => error.count(), { timeout: 60_000 }).toBe(1);
    expect(await error.textContent()).toContain('Could not load: 1 dropped file/tokenizer.json');
    await error.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('fetches a repo id from the Hub', async () => {
    await lab.page.getByTestId('model-hub-id').fill('tiny-org/tiny-llama');
    await lab.page.getByRole('button', { name: 'Fetch from the Hub' }).click();
    await ready('Loaded tiny-org/tiny-llama');
    expect(hubRequests).toContain('/tiny-org/tiny-llama/resolve/main/model.safetensors');
    await lab.page.locator('#panel-model').screenshot({ path: 'test-results/model-hub.png' });
  });

  it('reads a pasted huggingface.co page address as its repo id', async () => {
    await lab.page.getByRole('button', { name: 'Load the demo model' }).click();
    await ready('Loaded demo model');
    hubRequests.length = 0;
    await lab.page.getByTestId('model-hub-id').fill('https://huggingface.co/tiny-org/tiny-llama');
    await lab.page.getByRole('button', { name: 'Fetch from the Hub' }).click();
    await ready('Loaded tiny-org/tiny-llama');
    expect(hubRequests).toContain('/tiny-org/tiny-llama/resolve/main/config.json');
    expect(await lab.page.getByTestId('model-error').count()).toBe(0);
  });

  it('names a wrong model file and the way out, keeping the loaded model', async () => {
    const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as Record<string, unknown>;
    const files = {
      'config.json': new TextEncoder().encode(JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'] })),
      'tokenizer.json': new Uint8Array(readFileSync(join(FIXTURE, 'tokenizer.json'))),
      'model.safetensors': new Uint8Array(readFileSync(join(FIXTURE, 'model.safetensors'))),
    };
    await dropFiles(lab, 'model-drop', files);
    const error = lab.page.getByTestId('model-error');
    await expect.poll(() => error.count(), { timeout: 60_000 }).toBe(1);
    expect(await error.textContent()).toContain('GPT2LMHeadModel');
    expect(await status().getAttribute('data-status')).toBe('ready');
    expect(await status().textContent()).toContain('Loaded tiny-org/tiny-llama');
    await lab.page.locator('#panel-model').screenshot({ path: 'test-results/model-error.png' });
    expect(lab.consoleErrors).toEqual([]);
  });

  it('blames the network, not the files, when the Hub cannot be reached', async () => {
    const error = lab.page.getByTestId('model-error');
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await lab.page.getByTestId('model-hub-id').fill('offline-org/some-model');
    await lab.page.getByRole('button', { name: 'Fetch from the Hub' }).click();
    await expect.poll(() => error.count(), { timeout: 60_000 }).toBe(1);
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('offline-org/some-model/config.json could not be fetched');
    expect(text).toContain('Still loaded: tiny-org/tiny-llama. Check the network connection');
    expect(text).not.toContain('Check the files');
    expect(await status().textContent()).toContain('Loaded tiny-org/tiny-llama');
  });
});
