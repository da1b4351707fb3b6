// Uniform parameters of a dispatch. Every kernel declares `struct Params` of 4-byte scalars at
// @group(0) @binding(0); the launcher lists the same fields in the same order.
export type ParamField = readonly ['u32' | 'i32' | 'f32', number];

export const u32 = (value: number): ParamField => ['u32', value];
export const i32 = (value: number): ParamField => ['i32', value];
export const f32 = (value: number): ParamField => ['f32', value];

/** Packs scalars in declaration order; uniform buffers are sized in 16-byte steps. */
export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(bytes);
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new RangeError(`u32 parameter ${i} is ${value}, not an integer in [0, 2^32)`);
      }
      view.setUint32(i * 4, value, true);
    }
  });
  return bytes;
}
