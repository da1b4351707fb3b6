import { describe, expect, it } from 'vitest';
import { hubSource, parseHubReference } from '../../src/model/hubSource.ts';

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
});

describe('hubSource', () => {
  it('fetches a pasted address from the repo it names, labelled by its repo id', async () => {
    const asked: string[] = [];
    const fetchFn = (async (input: RequestInfo | URL) => {
      asked.push(String(input));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const source = hubSource('https://huggingface.co/org/model/tree/v1.0', 'main', fetchFn);
    expect(source.label).toBe('org/model');
    await source.read('config.json');
    expect(asked).toEqual(['https://huggingface.co/org/model/resolve/v1.0/config.json']);
  });

  it('names what it wants when the input is neither a repo id nor a model page', () => {
    expect(() => hubSource('https://example.com/org/model')).toThrow(/is not a Hugging Face repo id \(owner\/name.*or the address of a model's page on huggingface\.co/);
  });
});
