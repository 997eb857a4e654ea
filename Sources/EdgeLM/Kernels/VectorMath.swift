// e^x on 8 lanes at once, for the softmax of attention and for SiLU, which
// called libm's expf once per element (SwiGLU of one position is a serial
// section of every decoded token). The method of Cephes' expf and ggml's
// vector exp: x = n ln2 + r with |r| <= ln2 / 2, e^r by a polynomial, 2^n
// through the exponent bits. No libm call, no table, no branch.

/// e^x per lane, x clamped to [-87, 88] (so e^-inf gives ~1.6e-38, not 0,
/// and nothing overflows). Relative error within a few ulp of expf.
@inline(__always)
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
  let lo = SIMD8<Float>(repeating: -87), hi = SIMD8<Float>(repeating: 88)
  let x = x.replacing(with: lo, where: .!(x .>= lo)).replacing(with: hi, where: x .> hi)
  // n = round(x / ln2): adding 1.5 * 2^23 leaves n in the low mantissa bits.
  let shifter = SIMD8<Float>(repeating: 12_582_912)
  let biased = x * SIMD8(repeating: 1.442_695_04) + shifter
  let n = biased - shifter
  // r = x - n ln2, ln2 in two parts so that n * ln2Hi is exact.
  var r = x.addingProduct(n, SIMD8(repeating: -0.693_359_375))
  r = r.addingProduct(n, SIMD8(repeating: 2.121_944_4e-4))
  // e^r = 1 + r + r^2 p(r) (Cephes' coefficients).
  var p = SIMD8<Float>(repeating: 1.987_569_1e-4)
  p = SIMD8(repeating: 1.398_199_9e-3).addingProduct(p, r)
  p = SIMD8(repeating: 8.333_452e-3).addingProduct(p, r)
  p = SIMD8(repeating: 4.166_579_6e-2).addingProduct(p, r)
  p = SIMD8(repeating: 1.666_666_5e-1).addingProduct(p, r)
  p = SIMD8(repeating: 5.000_000_1e-1).addingProduct(p, r)
  let er = (r + 1).addingProduct(p, r * r)
  // 2^n: n + 127 in the exponent field (n is in -126...127 after the clamp).
  let k = unsafeBitCast(biased, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
  return er * unsafeBitCast((k &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// The `count` (0...8) values at `p` in the first lanes, `fill` in the
/// others: the tail of a loop over 8 lanes.
@inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, count: Int, fill: Float) -> SIMD8<Float> {
  var v = SIMD8<Float>(repeating: fill)
  for i in 0..<count { v[i] = p[i] }
  return v
}

/// Stores the first `count` (0...8) lanes of `v` at `p`.
@inline(__always)
func storePartial(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
  for i in 0..<count { p[i] = v[i] }
}
