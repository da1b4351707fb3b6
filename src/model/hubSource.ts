// A Hugging Face repo fetched by the user's browser: the only network access the lab makes, and
// only when the user types a repo id. (It cannot be tested offline; everything after the fetch
// is the same loader the tests cover.)
import { ModelFileError, type ModelFileSource } from './files.ts';

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

export function hubSource(repoId: string, revision = 'main', fetchFn: typeof fetch = fetch): ModelFileSource {
  if (!REPO_ID.test(repoId)) throw new ModelFileError(`"${repoId}" is not a Hugging Face repo id (owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct)`);
  const url = (name: string) => `https://huggingface.co/${repoId}/resolve/${encodeURIComponent(revision)}/${name}`;
  return {
    label: repoId,
    async has(name) {
      try {
        return (await fetchFn(url(name), { method: 'HEAD' })).ok;
      } catch {
        return false;
      }
    },
    async read(name) {
      let response: Response;
      try {
        response = await fetchFn(url(name));
      } catch (error) {
        throw new ModelFileError(`${repoId}/${name} could not be fetched (${String(error)}): check the connection, or download the folder and drop it in`);
      }
      if (!response.ok) {
        throw new ModelFileError(
          `${repoId}/${name}: the hub answered ${response.status}${response.status === 401 ? ' (a gated or private model: download it and drop the folder in)' : ''}`,
        );
      }
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
