// The Model panel in Chromium: a Hugging Face folder dropped on the page, a repo id fetched from
// the Hub (a route stands in for huggingface.co, which this machine cannot reach: the page's
// requests and the hub module's URLs are real), a pasted model page address, a checkpoint zip
// dropped where a model folder goes, a wrong model file and a network failure, each named with its
// own way out while the model already loaded stays loaded. Then a sharded model from a local
// server laid out like the Hub (the page's Hub-address setting; its origin allowed by the server's
// Content-Security-Policy through LAB_HUB_ORIGINS, for this test only), a gated repo, a missing
// file, and a real-shape folder (SmolLM2-135M's width and vocabulary at 1 layer, bf16) picked.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialWeights } from '../../src/model/initialize.ts';
import { knownShapeConfig, knownShapeJson } from '../../src/model/knownShapes.ts';
import { parameterSpecs } from '../../src/model/parameters.ts';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.ts';
import { axeViolations } from './axe.ts';
import { openLab, type Lab } from './browser.ts';
import { startHubServer, type HubServer } from './hubServer.ts';

const FIXTURE = 'tests/fixtures/models/llama-gqa';
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
const SHARDED = 'shard-org/tiny-llama-sharded';
const GATED = 'gated-org/tiny-llama';
const TOKEN = 'hf_test_token';
const NO_CONFIG = 'broken-org/no-config';
const MISSING_SHARD = 'broken-org/missing-shard';
const SHARD_NAMES = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];

/** The fixture's files with its weights split over two shards and an index, as the Hub holds a large model. */
function shardedFixture(): Record<string, Uint8Array> {
  const whole = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURE, 'model.safetensors'))), 'fixture');
  const half = Math.ceil(whole.names.length / 2);
  const groups = [whole.names.slice(0, half), whole.names.slice(half)];
  const shards = groups.map((names) => serializeSafetensors(names.map((name) => ({ name, shape: whole.shape(name), data: whole.read(name) }))));
  const weightMap = Object.fromEntries(groups.flatMap((names, i) => names.map((name) => [name, SHARD_NAMES[i]!])));
  const index = { metadata: { total_size: shards.reduce((sum, shard) => sum + shard.byteLength, 0) }, weight_map: weightMap };
  return {
    ...Object.fromEntries(['config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(join(FIXTURE, f)))])),
    'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)),
    [SHARD_NAMES[0]!]: shards[0]!,
    [SHARD_NAMES[1]!]: shards[1]!,
  };
}

/**
 * A folder as a user downloads one, of SmolLM2-135M's real width (576) and vocabulary (49,152) at 1
 * layer, random bf16 weights (62 MB, the smallest real shape: the vocabulary is most of it), with
 * the fixture's small tokenizer (its ids fit the vocabulary).
 */
function writeRealShapeFolder(parent: string): string {
  const folder = join(parent, 'SmolLM2-135M-1-layer');
  mkdirSync(folder);
  const config = knownShapeConfig('smollm2-135m', 1);
  const weights = initialWeights(config, 7);
  const tensors = parameterSpecs(config).map(({ name, shape }) => ({ name, shape, data: weights.get(name)! }));
  writeFileSync(join(folder, 'model.safetensors'), serializeSafetensors(tensors, 'BF16'));
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...knownShapeJson('smollm2-135m', 1), torch_dtype: 'bfloat16' }));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(folder, f), readFileSync(join(FIXTURE, f)));
  return folder;
}

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
  let hub: HubServer;
  let scratch: string;
  const sharded = shardedFixture();
  const hubRequests: string[] = [];
  const failedRequests: string[] = [];
  beforeAll(async () => {
    const without = (name: string) => Object.fromEntries(Object.entries(sharded).filter(([file]) => file !== name));
    hub = await startHubServer({
      [SHARDED]: { files: sharded },
      [GATED]: { files: sharded, token: TOKEN },
      [NO_CONFIG]: { files: without('config.json') },
      [MISSING_SHARD]: { files: without(SHARD_NAMES[1]!) },
    });
    scratch = mkdtempSync(join(tmpdir(), 'lab-model-e2e-'));
    lab = await openLab({ hubOrigins: [hub.origin] });
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
    await hub?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
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

  const fetchRepo = async (repoId: string) => {
    await lab.page.getByTestId('model-hub-id').fill(repoId);
    await lab.page.getByRole('button', { name: 'Fetch from the Hub' }).click();
  };
  const errorText = async () => {
    const error = lab.page.getByTestId('model-error');
    await expect.poll(() => error.count(), { timeout: 60_000 }).toBe(1);
    return (await error.textContent()) ?? '';
  };
  const dismissError = async () => {
    const error = lab.page.getByTestId('model-error');
    if ((await error.count()) > 0) await error.getByRole('button', { name: 'Dismiss' }).click();
  };
  const fileBar = (file: string) => lab.page.getByRole('progressbar', { name: `Downloading ${file}` });

  it('loads a sharded model from a server laid out like the Hub: a bar per file, the memory plan before the weights', async () => {
    await dismissError();
    await lab.page.getByText('Hub address and access token').click();
    await lab.page.getByTestId('model-hub-id').fill(SHARDED);
    await lab.page.getByTestId('hub-base-url').fill('localhost:1234');
    expect(await lab.page.getByRole('alert').filter({ hasText: 'is not an http(s) address' }).count()).toBe(1);
    expect(await lab.page.getByRole('button', { name: 'Fetch from the Hub' }).isDisabled()).toBe(true);
    await lab.page.getByTestId('hub-base-url').fill(hub.origin);
    const held = hub.hold(SHARDED, SHARD_NAMES[1]!);
    await fetchRepo(SHARDED);
    await held.halfSent;
    // Mid-download: the second shard's bar stands at half its Content-Length, the files before it are
    // complete, and the plan (from config.json alone) is shown while nothing of the weights is loaded.
    const size = sharded[SHARD_NAMES[1]!]!.byteLength;
    const bar = fileBar(SHARD_NAMES[1]!);
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 60_000 }).toBe(String(Math.floor(size / 2)));
    expect(await bar.getAttribute('aria-valuemax')).toBe(String(size));
    expect(await bar.getAttribute('aria-valuetext')).toMatch(/^50% of /);
    for (const file of ['config.json', 'model.safetensors.index.json', SHARD_NAMES[0]!]) {
      const done = fileBar(file);
      expect(await done.getAttribute('aria-valuenow')).toBe(String(sharded[file]!.byteLength));
      expect(await done.getAttribute('aria-valuemax')).toBe(String(sharded[file]!.byteLength));
    }
    expect(await status().getAttribute('data-status')).toBe('loading');
    expect(await lab.page.getByTestId('model-plan').textContent()).toMatch(/^Memory plan: fits/);
    // The bars, the Hub address and the token field, as a screen reader gets them.
    expect(await axeViolations(lab)).toEqual([]);
    await lab.page.locator('#panel-model').screenshot({ path: 'test-results/model-hub-shards.png' });
    held.release();
    await ready(`Loaded ${SHARDED}`);
    expect(await status().textContent()).toContain('LlamaForCausalLM');
    for (const shard of SHARD_NAMES) expect(hub.requests).toContain(`GET /${SHARDED}/resolve/main/${shard}`);
    expect(await lab.page.getByTestId('model-downloads').count()).toBe(0);
  });

  it('says how into a gated repo (the licence, a token), then loads it with the token', async () => {
    await fetchRepo(GATED);
    const text = await errorText();
    expect(text).toContain(`${GATED}/config.json: the server answered 401, access refused`);
    expect(text).toContain(`accept the licence on ${hub.origin}/${GATED} and paste a token`);
    expect(text).toContain(`Still loaded: ${SHARDED}. Check the repo id; for a gated model accept the licence`);
    // The plan shown is the loaded model's again, not left empty by the load that failed.
    await expect.poll(() => lab.page.getByTestId('model-plan').count(), { timeout: 60_000 }).toBe(1);
    await dismissError();
    await lab.page.getByTestId('hub-token').fill(TOKEN);
    await fetchRepo(GATED);
    await ready(`Loaded ${GATED}`);
    expect(hub.authorizations).toContain(`Bearer ${TOKEN}`);
    await lab.page.getByTestId('hub-token').fill('');
  });

  it('names a repo the Hub does not have, and a file missing from one it has', async () => {
    await fetchRepo('missing-org/no-model');
    expect(await errorText()).toContain(`missing-org/no-model/config.json: the server answered 401, access refused: ${hub.origin} has no repo missing-org/no-model, or it is private: check the repo id`);
    await dismissError();
    await fetchRepo(NO_CONFIG);
    expect(await errorText()).toContain(`${NO_CONFIG}/config.json is not there (the server answered 404): ${NO_CONFIG} has no such file at revision main`);
    await dismissError();
    await fetchRepo(MISSING_SHARD);
    expect(await errorText()).toContain(`${MISSING_SHARD}/model.safetensors.index.json names the shard ${SHARD_NAMES[1]}, which is missing from ${MISSING_SHARD}`);
    await dismissError();
  });

  it("opens a LoRA adapter dropped without its base (TRL's output) on the base it names, fetched from the Hub", async () => {
    const adapterConfig = JSON.parse(readFileSync(join(FIXTURE, 'lora/adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const adapterFiles = (base: string) => ({
      'adapter_config.json': new TextEncoder().encode(JSON.stringify({ ...adapterConfig, base_model_name_or_path: base })),
      'adapter_model.safetensors': new Uint8Array(readFileSync(join(FIXTURE, 'lora/adapter_model.safetensors'))),
      'tokenizer.json': new Uint8Array(readFileSync(join(FIXTURE, 'tokenizer.json'))),
      'tokenizer_config.json': new Uint8Array(readFileSync(join(FIXTURE, 'tokenizer_config.json'))),
    });
    // A base named by a path on the computer that trained it: the page says how to bring the two together.
    await dropFiles(lab, 'model-drop', adapterFiles('../Qwen2.5-0.5B-Instruct'));
    expect(await errorText()).toContain(`4 dropped files is a LoRA adapter without its base model, and 4 dropped files/adapter_config.json names the base "../Qwen2.5-0.5B-Instruct", a path on the computer that saved it: put the adapter's files in that model's folder and drop the folder`);
    await dismissError();
    // A Hub repo id: the base's files come from the Hub address set above, the adapter's from the drop.
    const asked = hub.requests.length;
    await dropFiles(lab, 'model-drop', adapterFiles(SHARDED));
    await ready(`Loaded 4 dropped files (on ${SHARDED})`);
    expect(await status().textContent()).toContain('with a LoRA adapter');
    for (const file of ['config.json', ...SHARD_NAMES]) expect(hub.requests.slice(asked)).toContain(`GET /${SHARDED}/resolve/main/${file}`);
    expect(hub.requests.slice(asked).some((request) => /tokenizer|adapter/.test(request))).toBe(false);
    expect(lab.consoleErrors).toEqual([]);
  });

  it('loads a picked folder of a real-shape model (SmolLM2-135M width and vocabulary, 1 layer, bf16)', async () => {
    const folder = writeRealShapeFolder(scratch);
    await lab.page.getByTestId('model-folder-input').setInputFiles(folder);
    await ready('Loaded SmolLM2-135M-1-layer');
    const text = (await status().textContent()) ?? '';
    expect(text).toContain('LlamaForCausalLM, 1 layer, width 576, vocabulary 49152');
    expect(await lab.page.getByTestId('model-plan').textContent()).toMatch(/^Memory plan: /);
    expect(lab.consoleErrors).toEqual([]);
  });
});
