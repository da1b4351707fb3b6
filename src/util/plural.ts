// Counts in sentences: "1 row", "2 rows".

/** `n` and the noun, singular for exactly one (plural: the singular with an s, unless given). */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
