// The demo data's three sources, told apart by a row's type: AdvBench and Alpaca rows carry
// their source as the type; every other type is one of XSTest's (scripts/build-demo-data.ts).
export type DemoSource = 'AdvBench' | 'Alpaca' | 'XSTest';

export function demoSource(type: string | undefined): DemoSource {
  return type === 'advbench' ? 'AdvBench' : type === 'alpaca' ? 'Alpaca' : 'XSTest';
}
