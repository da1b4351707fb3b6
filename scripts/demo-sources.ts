// The demo data's sources, told apart by a row's type: AdvBench, CatQA, Alpaca and self-instruct
// rows carry their source as the type; every other type is one of XSTest's (scripts/build-demo-data.ts).
export type DemoSource = 'AdvBench' | 'CatQA' | 'Alpaca' | 'self-instruct' | 'XSTest';

const SOURCE_TYPES = new Map<string, DemoSource>([
  ['advbench', 'AdvBench'],
  ['catqa', 'CatQA'],
  ['alpaca', 'Alpaca'],
  ['self-instruct', 'self-instruct'],
]);

export function demoSource(type: string | undefined): DemoSource {
  return SOURCE_TYPES.get(type ?? '') ?? 'XSTest';
}
