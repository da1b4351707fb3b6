// A Hugging Face repo fetched by the user's browser: the only network access the lab makes, and
// only when the user types a repo id. (It cannot be tested offline; everything after the fetch
// is the same loader the tests cover.)
import { ModelFileError, type ModelFileSource } from './files.ts';
import { urlSource, type UrlSourceOptions } from './urlSource.ts';

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;
const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);

export interface HubReference {
  repoId: string;
  revision: string;
}

/**
 * A repo id as typed (`owner/name`), or the address of a model page copied from the browser
 * (`https://huggingface.co/owner/name`, also `…/tree/<revision>`, `…/blob/<revision>/file` and
 * `…/resolve/<revision>/file`, whose revision is kept); null for anything else.
 */
export function parseHubReference(input: string, revision = 'main'): HubReference | null {
  const text = input.trim();
  if (REPO_ID.test(text)) return { repoId: text, revision };
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return null;
  }
  if (!HUB_HOSTS.has(url.hostname.toLowerCase())) return null;
  const [owner, name, view, ref] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  // Datasets and Spaces live under their own prefixes and hold no model.
  if (!owner || !name || owner === 'datasets' || owner === 'spaces') return null;
  const repoId = `${owner}/${name}`;
  if (!REPO_ID.test(repoId)) return null;
  return { repoId, revision: view && ['tree', 'blob', 'resolve'].includes(view) && ref ? ref : revision };
}

export function hubSource(repoId: string, revision = 'main', fetchFn?: typeof fetch, onBytes?: UrlSourceOptions['onBytes']): ModelFileSource {
  const reference = parseHubReference(repoId, revision);
  if (!reference) {
    throw new ModelFileError(`"${repoId}" is not a Hugging Face repo id (owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct) or the address of a model's page on huggingface.co`);
  }
  return urlSource(`https://huggingface.co/${reference.repoId}/resolve/${encodeURIComponent(reference.revision)}/`, reference.repoId, {
    forbiddenHint: 'a gated or private model: download it and drop the folder in',
    ...(fetchFn ? { fetchFn } : {}),
    ...(onBytes ? { onBytes } : {}),
  });
}
