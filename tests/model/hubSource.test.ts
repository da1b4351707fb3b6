import { describe, expect, it } from 'vitest';
import { ModelAccessError, ModelFileError } from '../../src/model/files.ts';
import { hubSource, parseHubBaseUrl, parseHubReference } from '../../src/model/hubSource.ts';

describe('parseHubReference', () => {
  it('takes a repo id as typed', () => {
    expect(parseHubReference(' HuggingFaceTB/SmolLM2-135M-Instruct ')).toEqual({ repoId: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'main' });
  });

  it('reads the repo id, and the revision when there is one, from a pasted model page address', () => {
    expect(parseHubReference('https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct')).toEqual({ repoId: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' });
    expect(parseHubReference('huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/')).toEqual({ repoId: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' });
    expect(parseHubReference('https://huggingface.co/org/model/tree/v1.0')).toEqual({ repoId: 'org/model', revision: 'v1.0' });
    expect(parseHubReference('https://hf.co/org/model/blob/abc123/config.json')).toEqual({ repoId: 'org/model', revision: 'abc123' });
    expect(parseHubReference('https://huggingface.co/org/model?library=transformers#files')).toEqual({ repoId: 'org/model', revision: 'main' });
  });

  it('refuses other sites, datasets, spaces and a lone name', () => {
    expect(parseHubReference('https://example.com/org/model')).toBeNull();
    expect(parseHubReference('https://huggingface.co/datasets/org/data')).toBeNull();
    expect(parseHubReference('https://huggingface.co/spaces/org/app')).toBeNull();
    expect(parseHubReference('https://huggingface.co/gpt2')).toBeNull();
    expect(parseHubReference('not a repo')).toBeNull();
  });

  it('never takes a relative path for a repo id (the Hub forbids leading dots, .. and --)', () => {
    for (const path of ['../base', './model', 'models/..', '.cache/model', 'org/-model', 'org/model.', 'org/a--b', 'org/a..b']) expect(parseHubReference(path)).toBeNull();
    expect(parseHubReference('meta-llama/Llama-3.2-1B-Instruct')).toEqual({ repoId: 'meta-llama/Llama-3.2-1B-Instruct', revision: 'main' });
    expect(parseHubReference('user_1/my.model_v2')).toEqual({ repoId: 'user_1/my.model_v2', revision: 'main' });
  });
});

describe('hubSource', () => {
  it('fetches a pasted address from the repo it names, labelled by its repo id', async () => {
    const asked: string[] = [];
    const fetchFn = (async (input: RequestInfo | URL) => {
      asked.push(String(input));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const source = hubSource('https://huggingface.co/org/model/tree/v1.0', { fetchFn });
    expect(source.label).toBe('org/model');
    await source.read('config.json');
    expect(asked).toEqual(['https://huggingface.co/org/model/resolve/v1.0/config.json']);
  });

  it('names what it wants when the input is neither a repo id nor a model page', () => {
    expect(() => hubSource('https://example.com/org/model')).toThrow(/is not a Hugging Face repo id \(owner\/name.*or the address of a model's page on huggingface\.co/);
  });

  it('fetches from the Hub address the setting gives, with the token as a bearer header', async () => {
    const asked: { url: string; authorization: string | null }[] = [];
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      asked.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    await hubSource('org/model', { baseUrl: 'http://127.0.0.1:8123/mirror/', token: 'hf_abc', fetchFn }).read('config.json');
    await hubSource('org/model', { fetchFn }).read('config.json');
    expect(asked).toEqual([
      { url: 'http://127.0.0.1:8123/mirror/org/model/resolve/main/config.json', authorization: 'Bearer hf_abc' },
      { url: 'https://huggingface.co/org/model/resolve/main/config.json', authorization: null },
    ]);
  });

  it('says how into a gated repo (the licence, a token), and names a missing file with the revision', async () => {
    const answer = (status: number) => (async () => new Response('no', { status })) as typeof fetch;
    const gated = await hubSource('meta-llama/Llama-3.2-1B-Instruct', { fetchFn: answer(401) })
      .read('config.json')
      .catch((e: unknown) => e);
    expect(gated).toBeInstanceOf(ModelAccessError);
    expect(String(gated)).toContain('meta-llama/Llama-3.2-1B-Instruct/config.json: the server answered 401, access refused');
    expect(String(gated)).toContain('accept the licence on https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct and paste a token');
    const refused = await hubSource('org/model', { token: 'hf_x', fetchFn: answer(403) })
      .read('config.json')
      .catch((e: unknown) => e);
    expect(String(refused)).toContain('the token was refused or has no access to this repo');
    const notFound = (async () => new Response('Repository not found', { status: 401, headers: { 'x-error-code': 'RepoNotFound' } })) as typeof fetch;
    const typo = await hubSource('org/modle', { fetchFn: notFound })
      .read('config.json')
      .catch((e: unknown) => e);
    expect(String(typo)).toContain('org/modle/config.json: the server answered 401, access refused: https://huggingface.co has no repo org/modle, or it is private: check the repo id');
    const missing = await hubSource('org/model', { revision: 'v2', fetchFn: answer(404) })
      .read('model-00002-of-00002.safetensors')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ModelFileError);
    expect(missing).not.toBeInstanceOf(ModelAccessError);
    expect(String(missing)).toContain('org/model/model-00002-of-00002.safetensors is not there (the server answered 404): org/model has no such file at revision v2');
  });
});

describe('parseHubBaseUrl', () => {
  it('takes an http(s) address without its trailing slash; blank is the Hub', () => {
    expect(parseHubBaseUrl('')).toBe('https://huggingface.co');
    expect(parseHubBaseUrl(' https://hf-mirror.com/ ')).toBe('https://hf-mirror.com');
    expect(parseHubBaseUrl('http://127.0.0.1:8080/hub//')).toBe('http://127.0.0.1:8080/hub');
  });

  it('refuses what is not an address, another scheme, a query', () => {
    expect(() => parseHubBaseUrl('huggingface')).toThrow('"huggingface" is not an address');
    expect(() => parseHubBaseUrl('ftp://example.org')).toThrow('is not an http(s) address');
    expect(() => parseHubBaseUrl('https://example.org/?x=1')).toThrow('has a query or fragment');
  });
});
