// The Arm backend of Quant/: int8 dot-product kernels for the 32-element
// block types (q4_0, q4_1, q5_0, q5_1, q8_0) on aarch64, with NEON
// intrinsics.
//
// One source, two builds. Cross/build-embedded.sh compiles this folder
// twice into the same library: as module EdgeLMArmNEON for Armv8.0 (Pi 4,
// Pi Zero 2 W: no dot-product instruction) and as EdgeLMArmDotProd with
// `-D EDGELM_DOTPROD` and the dotprod feature (Pi 5 and every Armv8.2+ core
// with it). Swift has no per-function target attribute and LLVM refuses to
// inline `vdotq_s32` into code built without the feature, hence two
// modules; Quant/KernelRegistry.swift picks one at run time from
// getauxval(AT_HWCAP), so the binaries built once run on every Pi. (SwiftPM
// does not build this folder: its builds use the portable kernels on Arm.)
//
// The only difference between the two builds is `dot2` (and `dot1`,
// ArmKQuants.swift); everything else, and so the rounding of every float
// operation, is the same. Two blocks go through each loop iteration.
//
// Why these kernels beat a per-row dot product (ggml's vec_dot): four
// weight rows go through one activation block at a time. Each row's block
// becomes one int32x4 of partial sums; three pairwise adds turn the four
// rows' partial sums into one vector [row0, row1, row2, row3], so the
// int-to-float conversion, the scale multiply and the accumulate are one
// instruction each for four rows, and the activation is loaded once for
// four rows. The integer part is exact, so the kernels of one activation
// and of several (prompt processing) give bit-identical results: per row
// and block, acc = fma(Float(sum), d_w * d_a, acc), in block order.
//
// Prepared activation layout (prepare*), 40 bytes per block (the core's
// QuantKernels.armPreparedBytes): per block its 32 codes as int8
// (clamped to [-127, 127]), then one Float per block: d_a; then one 32-bit
// value per block: for q8_1 (weights q4_1, q5_1) the Float s_a = d_a *
// sum(codes), for q8_0 the Int32 sum(codes) (q4_0's codes are nibble - 8:
// the dot product of the nibbles minus 8 times it; q5_0's 16 times).

#if arch(arm64)
import _Builtin_intrinsics.arm.neon

/// Byte offsets of ggml's blocks (Quant/Types/Legacy32.swift).
enum Block {
  static let q8_1Bytes = 36, q8_1Qs = 4, q8_1S = 2
  static let q8_0Bytes = 34, q8_0Qs = 2
}

/// The weight formats these kernels read, with their facts: block bytes,
/// where the codes (and the fifth bits) are, whether the value is d * q + m
/// (`hasMin`, activation q8_1) or d * (q - bias) (`bias`: 8 for 4-bit, 16
/// for 5-bit codes, 0 for q8_0; activation q8_0).
enum WeightFormat {
  case q4_0, q4_1, q5_0, q5_1, q8_0

  @inline(__always) var blockBytes: Int {
    switch self {
    case .q4_0: return 18
    case .q4_1: return 20
    case .q5_0: return 22
    case .q5_1: return 24
    case .q8_0: return Block.q8_0Bytes
    }
  }
  /// Offset of the codes.
  @inline(__always) var qs: Int {
    switch self {
    case .q4_0, .q8_0: return 2
    case .q4_1: return 4
    case .q5_0: return 6
    case .q5_1: return 8
    }
  }
  /// Offset of the 32 fifth bits (5-bit formats).
  @inline(__always) var qh: Int { self == .q5_0 ? 2 : 4 }
  @inline(__always) var hasMin: Bool { self == .q4_1 || self == .q5_1 }
  @inline(__always) var fiveBits: Bool { self == .q5_0 || self == .q5_1 }
  @inline(__always) var bias: Int32 {
    switch self {
    case .q4_0: return 8
    case .q5_0: return 16
    default: return 0
    }
  }
  /// The ggml type id.
  @inline(__always) var id: Int32 {
    switch self {
    case .q4_0: return 2
    case .q4_1: return 3
    case .q5_0: return 6
    case .q5_1: return 7
    case .q8_0: return 8
    }
  }
}

// MARK: - Integer core

/// acc + w0 . a0 + w1 . a1 over 16 int8 lanes each, as four Int32 partial
/// sums (which lanes hold which products differs between the two builds;
/// the kernels only use the sum of the four).
@inline(__always)
func dot2(_ w0: int8x16_t, _ a0: int8x16_t, _ w1: int8x16_t, _ a1: int8x16_t) -> int32x4_t {
  #if EDGELM_DOTPROD
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0), w1, a1)
  #else
  // Armv8.0: widening multiplies into Int16, two products per lane (at most
  // 2 * 128 * 127 = 32512: the activation is clamped to [-127, 127]), then
  // pairwise-added into Int32.
  let low = vmlal_s8(vmull_s8(vget_low_s8(w0), vget_low_s8(a0)), vget_low_s8(w1), vget_low_s8(a1))
  let high = vmlal_high_s8(vmull_high_s8(w0, a0), w1, a1)
  return vpadalq_s16(vpaddlq_s16(low), high)
  #endif
}

/// The 32 codes of a weight block as two int8x16 halves (elements 0..<16
/// and 16..<32): 4- and 5-bit codes unsigned (0...15, 0...31: the bias is
/// subtracted later), q8_0 codes as stored.
@inline(__always)
func weightCodes(_ f: WeightFormat, _ block: UnsafeRawPointer) -> (int8x16_t, int8x16_t) {
  if f == .q8_0 {
    return (block.loadUnaligned(fromByteOffset: f.qs, as: int8x16_t.self),
            block.loadUnaligned(fromByteOffset: f.qs + 16, as: int8x16_t.self))
  }
  let v = block.loadUnaligned(fromByteOffset: f.qs, as: uint8x16_t.self)
  var low = vandq_u8(v, vdupq_n_u8(0x0F)), high = v &>> 4  // (vshrq_n_u8 is a macro Swift cannot import)
  if f.fiveBits {
    // Bit j of qh is element j's fifth bit: bytes 0, 1 of qh spread over
    // the lanes of the low half, bytes 2, 3 over the high half, each lane
    // testing its own bit; 0x10 where set.
    let qh = SIMD4<UInt32>(repeating: block.loadUnaligned(fromByteOffset: f.qh, as: UInt32.self))
    let bytes = unsafeBitCast(qh, to: uint8x16_t.self)
    let bit = uint8x16_t(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
    let sixteen = vdupq_n_u8(0x10)
    let lowBytes = vqtbl1q_u8(bytes, uint8x16_t(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1))
    let highBytes = vqtbl1q_u8(bytes, uint8x16_t(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3))
    low = vorrq_u8(low, vandq_u8(vtstq_u8(lowBytes, bit), sixteen))
    high = vorrq_u8(high, vandq_u8(vtstq_u8(highBytes, bit), sixteen))
  }
  return (unsafeBitCast(low, to: int8x16_t.self), unsafeBitCast(high, to: int8x16_t.self))
}


/// d (and m) of the same block of four rows, as Floats.
@inline(__always)
func weightScales(
  _ f: WeightFormat, _ b0: UnsafeRawPointer, _ b1: UnsafeRawPointer, _ b2: UnsafeRawPointer, _ b3: UnsafeRawPointer
) -> (d: SIMD4<Float>, m: SIMD4<Float>) {
  if f.hasMin {
    // (d, m) pairs of the four rows, converted together.
    let dm = SIMD4<UInt32>(b0.loadUnaligned(as: UInt32.self), b1.loadUnaligned(as: UInt32.self),
                           b2.loadUnaligned(as: UInt32.self), b3.loadUnaligned(as: UInt32.self))
    let h = unsafeBitCast(dm, to: SIMD8<Float16>.self)
    let lo = SIMD4<Float>(h.lowHalf), hi = SIMD4<Float>(h.highHalf)  // [d0 m0 d1 m1], [d2 m2 d3 m3]
    return (SIMD4(lo[0], lo[2], hi[0], hi[2]), SIMD4(lo[1], lo[3], hi[1], hi[3]))
  }
  let d = SIMD4<UInt16>(b0.loadUnaligned(as: UInt16.self), b1.loadUnaligned(as: UInt16.self),
                        b2.loadUnaligned(as: UInt16.self), b3.loadUnaligned(as: UInt16.self))
  return (SIMD4<Float>(unsafeBitCast(d, to: SIMD4<Float16>.self)), .zero)
}

// MARK: - Kernels

/// Four rows (`w0`...`w3`, which may repeat a row: only the lanes the
/// caller stores count) times `count` prepared activations `prepStride`
/// bytes apart: returns per activation the vector [row0...row3].
@inline(__always)
func fourRows(
  _ f: WeightFormat, _ w0: UnsafeRawPointer, _ w1: UnsafeRawPointer, _ w2: UnsafeRawPointer, _ w3: UnsafeRawPointer,
  _ prep: UnsafeRawPointer, _ prepStride: Int, count: Int, blocks: Int,
  _ body: (Int, SIMD4<Float>) -> Void
) {
  let bytes = f.blockBytes
  // Up to 4 activations: float accumulators and (_1 formats) the minimum terms.
  var acc = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
  var mins = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
  // Pointers that advance one block per step: the rows, the activation
  // codes and the per-block activation values (d_a, then the sum or s_a).
  var p0 = w0, p1 = w1, p2 = w2, p3 = w3
  var codes = prep, scale = prep + 32 &* blocks
  let auxOffset = 4 &* blocks
  // One block for every activation, then on to the next.
  @inline(__always)
  func step() {
    let (x0l, x0h) = weightCodes(f, p0)
    let (x1l, x1h) = weightCodes(f, p1)
    let (x2l, x2h) = weightCodes(f, p2)
    let (x3l, x3h) = weightCodes(f, p3)
    let (dw, mw) = weightScales(f, p0, p1, p2, p3)

    @inline(__always)
    func apply(_ k: Int, _ acc: inout SIMD4<Float>, _ mins: inout SIMD4<Float>) {
      let c = codes + k &* prepStride, v = scale + k &* prepStride
      let a0 = c.loadUnaligned(as: int8x16_t.self), a1 = c.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
      var s = vpaddq_s32(vpaddq_s32(dot2(x0l, a0, x0h, a1), dot2(x1l, a0, x1h, a1)),
                         vpaddq_s32(dot2(x2l, a0, x2h, a1), dot2(x3l, a0, x3h, a1)))
      if f.bias != 0 {
        s = vsubq_s32(s, vdupq_n_s32(f.bias &* v.loadUnaligned(fromByteOffset: auxOffset, as: Int32.self)))
      }
      acc = acc.addingProduct(SIMD4<Float>(vcvtq_f32_s32(s)), dw * v.loadUnaligned(as: Float.self))
      if f.hasMin {
        mins = mins.addingProduct(mw, v.loadUnaligned(fromByteOffset: auxOffset, as: Float.self))
      }
    }
    apply(0, &acc.0, &mins.0)
    if count >= 2 { apply(1, &acc.1, &mins.1) }
    if count >= 3 { apply(2, &acc.2, &mins.2) }
    if count >= 4 { apply(3, &acc.3, &mins.3) }
    p0 += bytes
    p1 += bytes
    p2 += bytes
    p3 += bytes
    codes += 32
    scale += 4
  }
  // Two blocks per iteration: more independent work between the loop's
  // branches (the same operations in the same order as one at a time).
  var left = blocks
  while left >= 2 {
    step()
    step()
    left &-= 2
  }
  if left == 1 { step() }
  body(0, acc.0 + mins.0)
  if count >= 2 { body(1, acc.1 + mins.1) }
  if count >= 3 { body(2, acc.2 + mins.2) }
  if count >= 4 { body(3, acc.3 + mins.3) }
}

/// Every row of a matrix times `count` activations: four rows at a time,
/// the last 1...3 rows through the same four-row code (with the last row
/// repeated), so every row's result is computed the same way.
@inline(__always)
func rowLoop(
  _ f: WeightFormat, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ prepStride: Int,
  count: Int, blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, accumulate: Bool
) {
  var r = 0
  while r < rows {
    let n = Swift.min(4, rows &- r)
    let last = rows &- 1
    let w0 = w + r &* stride
    let w1 = w + Swift.min(r &+ 1, last) &* stride
    let w2 = w + Swift.min(r &+ 2, last) &* stride
    let w3 = w + Swift.min(r &+ 3, last) &* stride
    fourRows(f, w0, w1, w2, w3, prep, prepStride, count: count, blocks: blocks) { k, v in
      let o = out + k &* outStride + r
      if n == 4 && !accumulate {
        UnsafeMutableRawPointer(o).storeBytes(of: v, as: SIMD4<Float>.self)
      } else {
        for i in 0..<n {
          if accumulate { o[i] += v[i] } else { o[i] = v[i] }
        }
      }
    }
    r &+= 4
  }
}

/// The prepared layout of `blocks` q8_0 (`hasMin` false) or q8_1 blocks;
/// `sum` stores the sum of the codes (for the _0 formats' bias).
@inline(__always)
func prepareBlocks(_ act: UnsafeRawPointer, blocks: Int, hasMin: Bool, sum: Bool, into dst: UnsafeMutableRawPointer) {
  let bytes = hasMin ? Block.q8_1Bytes : Block.q8_0Bytes
  let qs = hasMin ? Block.q8_1Qs : Block.q8_0Qs
  let floor = int8x16_t(repeating: -127)
  for b in 0..<blocks {
    let y = act + b &* bytes
    let c0 = vmaxq_s8(y.loadUnaligned(fromByteOffset: qs, as: int8x16_t.self), floor)
    let c1 = vmaxq_s8(y.loadUnaligned(fromByteOffset: qs &+ 16, as: int8x16_t.self), floor)
    let codes = dst + b &* 32
    codes.storeBytes(of: c0, as: int8x16_t.self)
    codes.storeBytes(of: c1, toByteOffset: 16, as: int8x16_t.self)
    let d = Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self)))
    dst.storeBytes(of: d, toByteOffset: 32 &* blocks &+ 4 &* b, as: Float.self)
    let aux = dst + (36 &* blocks &+ 4 &* b)
    if hasMin {
      aux.storeBytes(of: Float(Float16(bitPattern: y.loadUnaligned(fromByteOffset: Block.q8_1S, as: UInt16.self))),
                     as: Float.self)
    } else if sum {
      aux.storeBytes(of: Int32(vaddlvq_s8(c0) &+ vaddlvq_s8(c1)), as: Int32.self)
    }
  }
}

// MARK: - Entry points

// C-ABI entry points, one set per build (edgelmarm_neon_*,
// edgelmarm_dotprod_*), declared in CEdgeSys/include/edgelm_sys.h: the
// core calls them as C functions and never imports this module, so
// nothing of the dotprod build is compiled into code built without the
// feature (Embedded Swift would otherwise re-emit imported functions in the
// importing module). Not exported from libedgelm.so (no edgelm_ prefix).
// `type` is a ggml type id: 2 (q4_0), 3 (q4_1), 6 (q5_0), 7 (q5_1), 8
// (q8_0), 12 (q4_K), 13 (q5_K) or 14 (q6_K); others do nothing.

#if EDGELM_DOTPROD
@_cdecl("edgelmarm_dotprod_prepare")
public func armPrepareDotProd(_ type: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
  ArmInt8.prepare(type, act, blocks, dst)
}
@_cdecl("edgelmarm_dotprod_rows")
public func armRowsDotProd(
  _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ acc: Bool
) {
  ArmInt8.rows(type, w, stride, rows, p, n, out, acc)
}
@_cdecl("edgelmarm_dotprod_rows_multi")
public func armRowsMultiDotProd(
  _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int,
  _ count: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
) {
  ArmInt8.rowsMulti(type, w, stride, rows, p, ps, count, n, out, os)
}
#else
@_cdecl("edgelmarm_neon_prepare")
public func armPrepareNEON(_ type: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
  ArmInt8.prepare(type, act, blocks, dst)
}
@_cdecl("edgelmarm_neon_rows")
public func armRowsNEON(
  _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ acc: Bool
) {
  ArmInt8.rows(type, w, stride, rows, p, n, out, acc)
}
@_cdecl("edgelmarm_neon_rows_multi")
public func armRowsMultiNEON(
  _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int,
  _ count: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
) {
  ArmInt8.rowsMulti(type, w, stride, rows, p, ps, count, n, out, os)
}
#endif

/// The kernels behind the entry points.
enum ArmInt8 {
  /// Prepares `blocks` activation blocks (q8_1 for the _1 weight formats,
  /// else q8_0) for weights of `type` (layout at the top of this file).
  @inline(never)
  static func prepare(_ type: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
    if type == KFormat.q4_K.id || type == KFormat.q5_K.id || type == KFormat.q6_K.id {
      dst.copyMemory(from: act, byteCount: Q8K.bytes &* blocks)  // the K kernels read q8_K as it is
      return
    }
    let hasMin = type == WeightFormat.q4_1.id || type == WeightFormat.q5_1.id
    prepareBlocks(act, blocks: blocks, hasMin: hasMin, sum: !hasMin, into: dst)
  }

  /// out[r] (+)= dot(row r, the prepared activation) for r in 0..<rows.
  static func rows(
    _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int,
    _ out: UnsafeMutablePointer<Float>, _ acc: Bool
  ) {
    switch type {
    case WeightFormat.q4_0.id: rowsQ4_0(w, stride, rows, p, n, out, acc)
    case WeightFormat.q4_1.id: rowsQ4_1(w, stride, rows, p, n, out, acc)
    case WeightFormat.q5_0.id: rowsQ5_0(w, stride, rows, p, n, out, acc)
    case WeightFormat.q5_1.id: rowsQ5_1(w, stride, rows, p, n, out, acc)
    case WeightFormat.q8_0.id: rowsQ8_0(w, stride, rows, p, n, out, acc)
    case KFormat.q4_K.id: rowsQ4_K(w, stride, rows, p, n, out, acc)
    case KFormat.q5_K.id: rowsQ5_K(w, stride, rows, p, n, out, acc)
    case KFormat.q6_K.id: rowsQ6_K(w, stride, rows, p, n, out, acc)
    default: break
    }
  }

  /// out[t * os + r] = dot(row r, activation t) for t in 0..<count (2...4),
  /// bit-identical to `rows` one activation at a time.
  static func rowsMulti(
    _ type: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int,
    _ count: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
  ) {
    switch (type, count) {
    case (WeightFormat.q4_0.id, 2): rowsQ4_0x2(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q4_0.id, 3): rowsQ4_0x3(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q4_0.id, _): rowsQ4_0x4(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q4_1.id, 2): rowsQ4_1x2(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q4_1.id, 3): rowsQ4_1x3(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q4_1.id, _): rowsQ4_1x4(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_0.id, 2): rowsQ5_0x2(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_0.id, 3): rowsQ5_0x3(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_0.id, _): rowsQ5_0x4(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_1.id, 2): rowsQ5_1x2(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_1.id, 3): rowsQ5_1x3(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q5_1.id, _): rowsQ5_1x4(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q8_0.id, 2): rowsQ8_0x2(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q8_0.id, 3): rowsQ8_0x3(w, stride, rows, p, ps, n, out, os)
    case (WeightFormat.q8_0.id, _): rowsQ8_0x4(w, stride, rows, p, ps, n, out, os)
    default:
      // The K formats: one activation at a time (the tile of rows stays in cache).
      for t in 0..<count { self.rows(type, w, stride, rows, p + t &* ps, n, out + t &* os, false) }
    }
  }

  // One non-inlined loop per format and activation count, each compiled with
  // its format and count constants, and named as profiles and the
  // instruction-count tools expect (rowsQ4_1, rowsQ4_1x4, ...).

  @inline(never) static func rowsQ4_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoop(.q4_0, w, stride, rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ4_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_0, w, stride, rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_0, w, stride, rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_0, w, stride, rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }

  @inline(never) static func rowsQ4_1(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoop(.q4_1, w, stride, rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ4_1x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_1, w, stride, rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_1x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_1, w, stride, rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_1x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q4_1, w, stride, rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }

  @inline(never) static func rowsQ5_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoop(.q5_0, w, stride, rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ5_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_0, w, stride, rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_0, w, stride, rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_0, w, stride, rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }

  @inline(never) static func rowsQ5_1(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoop(.q5_1, w, stride, rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ5_1x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_1, w, stride, rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_1x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_1, w, stride, rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_1x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q5_1, w, stride, rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }

  @inline(never) static func rowsQ8_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoop(.q8_0, w, stride, rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ8_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q8_0, w, stride, rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q8_0, w, stride, rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    rowLoop(.q8_0, w, stride, rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
}
#endif
