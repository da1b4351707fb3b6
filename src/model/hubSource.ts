// A Hugging Face repo fetched by the user's browser: the only network access the lab makes, and
// only when the user types a repo id. The Hub's address is a page setting (a mirror, or in the
// e2e tests a local server laid out like the Hub); everything after the fetch is the same loader.
import { ModelFileError, type ModelFileSource } from './files.ts';
import { urlSource, type UrlSourceOptions } from './urlSource.ts';

// The Hub's rule for an owner and a name: letters, digits, '-', '_' and '.', neither '--' nor '..',
// and no '-' or '.' at either end; so a path such as ../base or ./model is never taken for a repo.
const REPO_PART = '(?!.*(?:--|\\.\\.))[A-Za-z0-9_](?:[\\w.-]*[A-Za-z0-9_])?';
const REPO_ID = new RegExp(`^${REPO_PART}/${REPO_PART}$`);
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

export const DEFAULT_HUB_BASE_URL = 'https://huggingface.co';

/**
 * The Hub's address as the page setting gives it (a mirror, or a local server laid out like the
 * Hub: `/{owner}/{name}/resolve/{revision}/{file}`), without a trailing slash; blank means the Hub.
 */
export function parseHubBaseUrl(input: string): string {
  const text = input.trim();
  if (text === '') return DEFAULT_HUB_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ModelFileError(`"${text}" is not an address: give the Hub's, such as ${DEFAULT_HUB_BASE_URL}, or leave it blank`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ModelFileError(`"${text}" is not an http(s) address: give the Hub's, such as ${DEFAULT_HUB_BASE_URL}`);
  if (url.search || url.hash) throw new ModelFileError(`"${text}" has a query or fragment: give only the Hub's address, such as ${DEFAULT_HUB_BASE_URL}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export interface HubSourceOptions {
  /** Used when the input does not name one (a pasted …/tree/<revision> address does). */
  revision?: string;
  /** The Hub's address (parseHubBaseUrl's); huggingface.co when not given. */
  baseUrl?: string;
  /** A Hugging Face access token, for a gated or private repo; sent only to baseUrl. */
  token?: string | null;
  fetchFn?: typeof fetch;
  onBytes?: UrlSourceOptions['onBytes'];
}

export function hubSource(input: string, { revision = 'main', baseUrl = DEFAULT_HUB_BASE_URL, token = null, fetchFn, onBytes }: HubSourceOptions = {}): ModelFileSource {
  const reference = parseHubReference(input, revision);
  if (!reference) {
    throw new ModelFileError(`"${input}" is not a Hugging Face repo id (owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct) or the address of a model's page on huggingface.co`);
  }
  const base = parseHubBaseUrl(baseUrl);
  const page = `${base}/${reference.repoId}`;
  return urlSource(`${page}/resolve/${encodeURIComponent(reference.revision)}/`, reference.repoId, {
    // The Hub answers 401 for a repo that does not exist too (so as not to tell it from a private
    // one); its X-Error-Code says which, where the answer lets the page read it.
    forbiddenHint: (response) =>
      response.headers.get('x-error-code') === 'RepoNotFound'
        ? `${base} has no repo ${reference.repoId}, or it is private: check the repo id${token ? ', or use a token that can read it' : ', or paste a token that can read it'}`
        : token
          ? `the token was refused or has no access to this repo: check the repo id; accept the licence on ${page} with the token's account, or paste a token that can read it`
          : `a gated or private model, or no such repo: check the repo id; for a gated one accept the licence on ${page} and paste a token (${DEFAULT_HUB_BASE_URL}/settings/tokens) in the token field; or download the folder and drop it in`,
    notFoundHint: `${reference.repoId} has no such file at revision ${reference.revision}; check the repo id and the revision`,
    ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
    ...(fetchFn ? { fetchFn } : {}),
    ...(onBytes ? { onBytes } : {}),
  });
}
