// Small SIMD building blocks shared by the kernels. Each is written so that
// LLVM lowers it to one or a few vector instructions on both x86 (AVX2) and
// aarch64 (NEON); the stdlib's generic SIMD conversions are element loops
// that LLVM only sometimes vectorises, so the kernels use these instead.
// Check the assembly (`swiftc -O -target-cpu native -emit-assembly`) after
// touching them: a stray scalar loop here costs a factor of several.

/// 8 binary16 values to Float (vcvtph2ps / fcvtl).
@inline(__always)
func halfToFloat(_ v: SIMD8<UInt16>) -> SIMD8<Float> {
  SIMD8<Float>(unsafeBitCast(v, to: SIMD8<Float16>.self))
}

/// 4 binary16 values to Float.
@inline(__always)
func halfToFloat(_ v: SIMD4<UInt16>) -> SIMD4<Float> {
  SIMD4<Float>(unsafeBitCast(v, to: SIMD4<Float16>.self))
}

/// 8 bfloat16 values to Float (zero-extend and shift into the top half).
@inline(__always)
func bf16ToFloat(_ v: SIMD8<UInt16>) -> SIMD8<Float> {
  var wide = SIMD8<UInt32>()
  for i in 0..<8 { wide[i] = UInt32(v[i]) }
  return unsafeBitCast(wide &<< 16, to: SIMD8<Float>.self)
}

/// Int32 lanes to Float (vcvtdq2ps / scvtf).
@inline(__always)
func intToFloat(_ v: SIMD8<Int32>) -> SIMD8<Float> {
  var r = SIMD8<Float>()
  for i in 0..<8 { r[i] = Float(v[i]) }
  return r
}

/// Sums adjacent Int16 lanes into Int32 lanes, modulo 2^16: exact when every
/// pair sum fits in Int16. Three instructions (shift, add, arithmetic shift);
/// the 4- and 5-bit kernels keep their lanes small enough for it.
@inline(__always)
func pairSumNarrow(_ x: SIMD16<UInt16>) -> SIMD8<Int32> {
  let v = unsafeBitCast(x, to: SIMD8<Int32>.self)
  return (v &+ (v &<< 16)) &>> 16
}

/// Horizontal sum as a balanced tree (the stdlib's `sum()` adds the lanes
/// one after another, a long dependency chain at the end of every row).
@inline(__always)
func reduce(_ v: SIMD8<Float>) -> Float {
  reduce(v.lowHalf + v.highHalf)
}

@inline(__always)
func reduce(_ v: SIMD4<Float>) -> Float {
  let h = v.lowHalf + v.highHalf
  return h[0] + h[1]
}

/// [a, a, a, a, b, b, b, b]: one scale per 128-bit half, the shape of a
/// pair of blocks after `pairSumNarrow`.
@inline(__always)
func splatHalves(_ a: Float, _ b: Float) -> SIMD8<Float> {
  SIMD8<Float>(a, a, a, a, b, b, b, b)
}

/// Stack buffers for the prepared activation (`dotRows`): a small one that
/// is cheap to zero, enough for rows of up to about 700 columns, and a large
/// one (bigger activations are processed in chunks of columns).
let smallScratchBytes = 2 * 1024
let scratchBytes = 12 * 1024

/// Runs `body` with a 64-byte aligned, zeroed stack buffer of `scratchBytes`.
@inline(__always)
func withScratch<R>(_ body: (UnsafeMutableRawPointer) -> R) -> R {
  // 32-byte elements, plus two spare for the alignment shift.
  var storage = InlineArray<386, SIMD16<UInt16>>(repeating: .zero)
  return withUnsafeMutableBytes(of: &storage) { body(aligned64($0.baseAddress!)) }
}

/// Runs `body` with a 64-byte aligned, zeroed stack buffer of `smallScratchBytes`.
@inline(__always)
func withSmallScratch<R>(_ body: (UnsafeMutableRawPointer) -> R) -> R {
  var storage = InlineArray<66, SIMD16<UInt16>>(repeating: .zero)
  return withUnsafeMutableBytes(of: &storage) { body(aligned64($0.baseAddress!)) }
}

@inline(__always)
func aligned64(_ p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
  let misalignment = Int(bitPattern: UInt(bitPattern: p) & 63)
  return p + (misalignment == 0 ? 0 : 64 - misalignment)
}
