// A frozen weight kept as its checkpoint stores it: 16-bit values packed two per u32, value 2j in
// the low half of word j (little-endian, as safetensors lays them out). The including shader
// declares `override BF16: bool`: false for IEEE f16 (WGSL's core unpack2x16float, no
// shader-f16 needed), true for bfloat16, whose 16 bits are an f32's high half.
fn unpackPair(word: u32) -> vec2f {
  if (BF16) {
    return vec2f(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u));
  }
  return unpack2x16float(word);
}
