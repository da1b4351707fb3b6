// A Hugging Face repo fetched by the user's browser: the only network access the lab makes, and
// only when the user types a repo id. (It cannot be tested offline; everything after the fetch
// is the same loader the tests cover.)
import { ModelFileError, type ModelFileSource } from './files.ts';
import { urlSource, type UrlSourceOptions } from './urlSource.ts';

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

export function hubSource(repoId: string, revision = 'main', fetchFn?: typeof fetch, onBytes?: UrlSourceOptions['onBytes']): ModelFileSource {
  if (!REPO_ID.test(repoId)) throw new ModelFileError(`"${repoId}" is not a Hugging Face repo id (owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct)`);
  return urlSource(`https://huggingface.co/${repoId}/resolve/${encodeURIComponent(revision)}/`, repoId, {
    forbiddenHint: 'a gated or private model: download it and drop the folder in',
    ...(fetchFn ? { fetchFn } : {}),
    ...(onBytes ? { onBytes } : {}),
  });
}
