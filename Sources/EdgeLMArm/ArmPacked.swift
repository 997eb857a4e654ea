// Interleaved ("packed") weights for the dotprod build: q8_0, q4_0 and
// q5_0 matrices rearranged once, at model load, so that one `sdot` yields a
// partial sum for four rows at once (as llama.cpp's repacked 4x4 layouts).
//
// Why: in the row-major kernels (ArmInt8.swift) each row's block gives an
// int32x4 of partial sums that three `addp` must fold into [row0...row3];
// here the codes of four rows are interleaved in 4-byte groups, so lane i
// of `sdot(w, a)` is row i's dot product of four elements with the four
// activation codes broadcast to every lane (`sdot` by element: one
// activation load serves eight `sdot`s), and the four rows' sums come out
// already in one vector. q4_0 also stores its codes as signed nibbles
// (q - 8), so the bias term and the activation sums disappear; q5_0 stores
// its fifth bits by lane, so one test per chunk spreads them.
//
// Packed layout: rows in groups of four (a matrix packs only when its row
// count is a multiple of 4), groups `groupStride` = 4 x the row bytes apart,
// so a group takes exactly the bytes of its four rows in the file. Per
// group, the blocks in column order, each holding four rows' block b:
//   q8_0 (136 bytes): d of rows 0...3 (4 x f16), then 8 chunks of 16 bytes,
//        chunk j = codes 4j..<4j+4 of row 0, of row 1, of row 2, of row 3.
//   q4_0 (72 bytes): d of rows 0...3 (4 x f16), then 4 chunks of 16 bytes,
//        chunk m = bytes 4m..<4m+4 of the file's qs of rows 0...3, each
//        XOR 0x88: low nibble (q - 8) of element 4m+e, high nibble (q - 8)
//        of element 16+4m+e, as two's-complement 4-bit numbers. `v << 4`
//        and `v & 0xF0`, read as int8, are 16 (q - 8): the integer sum
//        comes out 16 times too large, and is scaled back exactly.
//   q5_0 (88 bytes): d of rows 0...3, 4 chunks of low nibbles as q4_0's
//        (nibble - 8), then 16 bytes of fifth bits by lane: byte 4i+e,
//        bit j = the fifth bit of element 4j+e of row i. The sum is
//        sum(a (nib - 8)) + 16 sum(a b) - 8 sum(a) = sum(a (q - 16)).
//
// The results are bit-identical to the row-major kernels (the integer sum
// of each row and block is the same exact number; then the same
// acc = fma(Float(sum), d_w * d_a, acc) in block order), so a model gives
// the same text packed or not. The activation is ArmInt8's prepared layout.

#if arch(arm64) && EDGELM_DOTPROD
import _Builtin_intrinsics.arm.neon

/// The packed formats.
enum PackedFormat {
  case q4_0, q5_0, q8_0

  /// The row-major format (file block bytes, offset of the codes).
  @inline(__always) var file: WeightFormat {
    switch self {
    case .q4_0: return .q4_0
    case .q5_0: return .q5_0
    case .q8_0: return .q8_0
    }
  }
  /// Bytes of one block of four rows (four blocks of the file).
  @inline(__always) var groupBlockBytes: Int { 4 &* file.blockBytes }
  /// Bytes of one block of one row in the file.
  @inline(__always) var fileBlockBytes: Int { file.blockBytes }
  /// 16-byte chunks of codes per packed block (q8_0: bytes; else nibbles).
  @inline(__always) var codeChunks: Int { self == .q8_0 ? 8 : 4 }

  init?(id: Int32) {
    switch id {
    case WeightFormat.q4_0.id: self = .q4_0
    case WeightFormat.q5_0.id: self = .q5_0
    case WeightFormat.q8_0.id: self = .q8_0
    default: return nil
    }
  }
}

/// lane `i` of `v` in every lane, as bytes (LLVM selects `sdot` by
/// element when this feeds `vdotq_s32`).
@inline(__always)
func broadcast(_ v: SIMD4<Int32>, _ i: Int) -> int8x16_t {
  unsafeBitCast(SIMD4<Int32>(repeating: v[i]), to: int8x16_t.self)
}

/// The 16-times-scaled sums (q4_0, q5_0's nibbles) or the sums (q8_0) of four rows' block
/// (at `block`: past the four d values) with one activation block whose
/// codes are `a0` (elements 0..<16) and `a1` (16..<32) as Int32 lanes of
/// four codes, given the block's decoded chunks `w`.
@inline(__always)
func packedBlockSum(
  _ w: (int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t),
  _ a0: SIMD4<Int32>, _ a1: SIMD4<Int32>
) -> int32x4_t {
  // Two chains of four: chunks 0...3 cover elements 0..<16, 4...7 16..<32.
  let zero = vdupq_n_s32(0)
  var s0 = vdotq_s32(zero, w.0, broadcast(a0, 0))
  var s1 = vdotq_s32(zero, w.4, broadcast(a1, 0))
  s0 = vdotq_s32(s0, w.1, broadcast(a0, 1))
  s1 = vdotq_s32(s1, w.5, broadcast(a1, 1))
  s0 = vdotq_s32(s0, w.2, broadcast(a0, 2))
  s1 = vdotq_s32(s1, w.6, broadcast(a1, 2))
  s0 = vdotq_s32(s0, w.3, broadcast(a0, 3))
  s1 = vdotq_s32(s1, w.7, broadcast(a1, 3))
  return vaddq_s32(s0, s1)
}

/// Minus sum(a b) per lane over a q5_0 block's fifth bits `qh` (by lane,
/// bit j for chunk j): each chunk's bits tested into 0 / -1 bytes.
@inline(__always)
func fifthBitSum(_ qh: uint8x16_t, _ a0: SIMD4<Int32>, _ a1: SIMD4<Int32>) -> int32x4_t {
  @inline(__always)
  func bits(_ j: UInt8) -> int8x16_t { unsafeBitCast(vtstq_u8(qh, vdupq_n_u8(1 &<< j)), to: int8x16_t.self) }
  let zero = vdupq_n_s32(0)
  var s0 = vdotq_s32(zero, bits(0), broadcast(a0, 0))
  var s1 = vdotq_s32(zero, bits(4), broadcast(a1, 0))
  s0 = vdotq_s32(s0, bits(1), broadcast(a0, 1))
  s1 = vdotq_s32(s1, bits(5), broadcast(a1, 1))
  s0 = vdotq_s32(s0, bits(2), broadcast(a0, 2))
  s1 = vdotq_s32(s1, bits(6), broadcast(a1, 2))
  s0 = vdotq_s32(s0, bits(3), broadcast(a0, 3))
  s1 = vdotq_s32(s1, bits(7), broadcast(a1, 3))
  return vaddq_s32(s0, s1)
}

/// The eight 16-byte chunks of a packed block's codes, in element order
/// (chunk j: elements 4j..<4j+4 of the four rows).
@inline(__always)
func packedChunks(_ f: PackedFormat, _ codes: UnsafeRawPointer)
  -> (int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t)
{
  if f == .q8_0 {
    return (codes.loadUnaligned(as: int8x16_t.self), codes.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self),
            codes.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self), codes.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self),
            codes.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self), codes.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self),
            codes.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self), codes.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self))
  }
  let v0 = codes.loadUnaligned(as: int8x16_t.self), v1 = codes.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
  let v2 = codes.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self), v3 = codes.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
  let high = int8x16_t(repeating: -16)  // 0xF0
  return (v0 &<< 4, v1 &<< 4, v2 &<< 4, v3 &<< 4, v0 & high, v1 & high, v2 & high, v3 & high)
}

/// One group of four rows times `count` (1...4) prepared activations
/// `prepStride` bytes apart: per activation the vector [row0...row3].
@inline(__always)
func packedGroup(
  _ f: PackedFormat, _ group: UnsafeRawPointer, _ prep: UnsafeRawPointer, _ prepStride: Int,
  count: Int, blocks: Int, _ body: (Int, SIMD4<Float>) -> Void
) {
  var acc = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
  var p = group
  var codes = prep, scale = prep + 32 &* blocks
  let auxOffset = 4 &* blocks  // from a block's d_a to its sum of codes
  let bytes = f.groupBlockBytes
  // The integer sums are 16 times the true ones for q4_0: x 1/16 after the
  // conversion is exact, so the Float equals Float(true sum).
  let unscale: Float = f == .q4_0 ? 0.0625 : 1
  @inline(__always)
  func step() {
    let d = SIMD4<Float>(p.loadUnaligned(as: SIMD4<Float16>.self))
    let w = packedChunks(f, p + 8)
    let qh = f == .q5_0 ? p.loadUnaligned(fromByteOffset: 72, as: uint8x16_t.self) : vdupq_n_u8(0)
    @inline(__always)
    func apply(_ k: Int, _ acc: inout SIMD4<Float>) {
      let c = codes + k &* prepStride, v = scale + k &* prepStride
      let a0 = c.loadUnaligned(as: SIMD4<Int32>.self), a1 = c.loadUnaligned(fromByteOffset: 16, as: SIMD4<Int32>.self)
      let s = packedBlockSum(w, a0, a1)
      var sum: SIMD4<Float>
      if f == .q5_0 {
        // sum(a (nib - 8)) - 16 (-sum(a b)) - 8 sum(a), exactly.
        let nib = s &>> 4
        let minusAB = fifthBitSum(qh, a0, a1)
        let asum = SIMD4<Int32>(repeating: v.loadUnaligned(fromByteOffset: auxOffset, as: Int32.self))
        sum = SIMD4<Float>(nib &- (minusAB &<< 4) &- (asum &<< 3))
      } else {
        sum = SIMD4<Float>(vcvtq_f32_s32(s))
        if f == .q4_0 { sum *= unscale }
      }
      acc = acc.addingProduct(sum, d * v.loadUnaligned(as: Float.self))
    }
    apply(0, &acc.0)
    if count >= 2 { apply(1, &acc.1) }
    if count >= 3 { apply(2, &acc.2) }
    if count >= 4 { apply(3, &acc.3) }
    p += bytes
    codes += 32
    scale += 4
  }
  var left = blocks
  while left >= 2 {
    step()
    step()
    left &-= 2
  }
  if left == 1 { step() }
  body(0, acc.0)
  if count >= 2 { body(1, acc.1) }
  if count >= 3 { body(2, acc.2) }
  if count >= 4 { body(3, acc.3) }
}

/// Rows `skip..<skip+rows` of the packed matrix whose first group is at `w`
/// (row 0 of that group is row 0 here) times `count` activations:
/// out[k * outStride + i] (+)= dot(row skip+i, activation k).
@inline(__always)
func packedRowLoop(
  _ f: PackedFormat, _ w: UnsafeRawPointer, _ groupStride: Int, skip: Int, rows: Int, _ prep: UnsafeRawPointer,
  _ prepStride: Int, count: Int, blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, accumulate: Bool
) {
  var g = w
  var first = skip          // first row of this group, relative to the group
  var done = 0              // outputs written so far
  while done < rows {
    let n = Swift.min(4 &- first, rows &- done)
    let lo = first, o = out + done
    packedGroup(f, g, prep, prepStride, count: count, blocks: blocks) { k, v in
      let dst = o + k &* outStride
      if n == 4 && !accumulate {
        UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD4<Float>.self)
      } else {
        for i in 0..<n {
          if accumulate { dst[i] += v[lo &+ i] } else { dst[i] = v[lo &+ i] }
        }
      }
    }
    done &+= n
    first = 0
    g += groupStride
  }
}

// MARK: - Entry points (declared in CEdgeSys/include/edgelm_sys.h)

/// Packs `rows` (a multiple of 4) rows of `blocks` blocks of a q8_0, q4_0
/// or q5_0 matrix (`rowStride` bytes apart at `src`) into `dst` (rows x
/// blocks x block bytes). False for another type.
@_cdecl("edgelmarm_dotprod_pack")
public func armPack(
  _ type: Int32, _ src: UnsafeRawPointer, _ rowStride: Int, _ rows: Int, _ blocks: Int,
  _ dst: UnsafeMutableRawPointer
) -> Bool {
  guard let f = PackedFormat(id: type), rows % 4 == 0 else { return false }
  let fileBytes = f.fileBlockBytes
  var out = dst
  for g in stride(from: 0, to: rows, by: 4) {
    for b in 0..<blocks {
      let block = src + g &* rowStride + b &* fileBytes
      for i in 0..<4 {  // the d values
        out.storeBytes(of: (block + i &* rowStride).loadUnaligned(as: UInt16.self), toByteOffset: 2 &* i, as: UInt16.self)
      }
      for j in 0..<f.codeChunks {
        for i in 0..<4 {
          var four = (block + i &* rowStride).loadUnaligned(fromByteOffset: f.file.qs &+ 4 &* j, as: UInt32.self)
          if f != .q8_0 { four ^= 0x8888_8888 }
          out.storeBytes(of: four, toByteOffset: 8 &+ 16 &* j &+ 4 &* i, as: UInt32.self)
        }
      }
      if f == .q5_0 {
        // Fifth bits by lane: byte 4i+e, bit j = bit 4j+e of row i's qh.
        for i in 0..<4 {
          let qh = (block + i &* rowStride).loadUnaligned(fromByteOffset: f.file.qh, as: UInt32.self)
          for e in 0..<4 {
            var byte: UInt8 = 0
            for j in 0..<8 where qh & (1 &<< UInt32(4 &* j &+ e)) != 0 { byte |= 1 &<< UInt8(j) }
            out.storeBytes(of: byte, toByteOffset: 72 &+ 4 &* i &+ e, as: UInt8.self)
          }
        }
      }
      out += f.groupBlockBytes
    }
  }
  return true
}

/// Writes blocks `first..<first+count` of row `row` of a packed matrix
/// (`blocks` blocks per row) to `dst` in the file's layout: the inverse of
/// `armPack` (embedding lookups of a packed, tied output projection).
@_cdecl("edgelmarm_dotprod_unpack")
public func armUnpack(
  _ type: Int32, _ packed: UnsafeRawPointer, _ blocks: Int, _ row: Int, _ first: Int, _ count: Int,
  _ dst: UnsafeMutableRawPointer
) {
  guard let f = PackedFormat(id: type) else { return }
  let lane = row % 4
  let group = packed + (row / 4) &* blocks &* f.groupBlockBytes
  for b in 0..<count {
    let block = group + (first &+ b) &* f.groupBlockBytes
    let out = dst + b &* f.fileBlockBytes
    out.storeBytes(of: block.loadUnaligned(fromByteOffset: 2 &* lane, as: UInt16.self), as: UInt16.self)
    for j in 0..<f.codeChunks {
      var four = block.loadUnaligned(fromByteOffset: 8 &+ 16 &* j &+ 4 &* lane, as: UInt32.self)
      if f != .q8_0 { four ^= 0x8888_8888 }
      out.storeBytes(of: four, toByteOffset: f.file.qs &+ 4 &* j, as: UInt32.self)
    }
    if f == .q5_0 {
      var qh: UInt32 = 0
      for e in 0..<4 {
        let byte = block.load(fromByteOffset: 72 &+ 4 &* lane &+ e, as: UInt8.self)
        for j in 0..<8 where byte & (1 &<< UInt8(j)) != 0 { qh |= 1 &<< UInt32(4 &* j &+ e) }
      }
      out.storeBytes(of: qh, toByteOffset: f.file.qh, as: UInt32.self)
    }
  }
}

@_cdecl("edgelmarm_dotprod_packed_rows")
public func armPackedRows(
  _ type: Int32, _ w: UnsafeRawPointer, _ groupStride: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer,
  _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool
) {
  switch PackedFormat(id: type) {
  case .q8_0: ArmPacked.rowsQ8_0P(w, groupStride, skip, rows, p, n, out, acc)
  case .q4_0: ArmPacked.rowsQ4_0P(w, groupStride, skip, rows, p, n, out, acc)
  case .q5_0: ArmPacked.rowsQ5_0P(w, groupStride, skip, rows, p, n, out, acc)
  case nil: break
  }
}

/// `count` 2...4 activations; rows from the first of the group at `w`.
@_cdecl("edgelmarm_dotprod_packed_rows_multi")
public func armPackedRowsMulti(
  _ type: Int32, _ w: UnsafeRawPointer, _ groupStride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int,
  _ count: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
) {
  switch (PackedFormat(id: type), count) {
  case (.q8_0, 2): ArmPacked.rowsQ8_0Px2(w, groupStride, rows, p, ps, n, out, os)
  case (.q8_0, 3): ArmPacked.rowsQ8_0Px3(w, groupStride, rows, p, ps, n, out, os)
  case (.q8_0, _): ArmPacked.rowsQ8_0Px4(w, groupStride, rows, p, ps, n, out, os)
  case (.q4_0, 2): ArmPacked.rowsQ4_0Px2(w, groupStride, rows, p, ps, n, out, os)
  case (.q4_0, 3): ArmPacked.rowsQ4_0Px3(w, groupStride, rows, p, ps, n, out, os)
  case (.q4_0, _): ArmPacked.rowsQ4_0Px4(w, groupStride, rows, p, ps, n, out, os)
  case (.q5_0, 2): ArmPacked.rowsQ5_0Px2(w, groupStride, rows, p, ps, n, out, os)
  case (.q5_0, 3): ArmPacked.rowsQ5_0Px3(w, groupStride, rows, p, ps, n, out, os)
  case (.q5_0, _): ArmPacked.rowsQ5_0Px4(w, groupStride, rows, p, ps, n, out, os)
  case (nil, _): break
  }
}

/// One non-inlined loop per format and activation count, named for
/// profiles and the instruction-count tools (rowsQ8_0P, rowsQ8_0Px4, ...).
enum ArmPacked {
  @inline(never) static func rowsQ8_0P(_ w: UnsafeRawPointer, _ gs: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q8_0, w, gs, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ8_0Px2(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, gs, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0Px3(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, gs, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0Px4(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, gs, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0P(_ w: UnsafeRawPointer, _ gs: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q4_0, w, gs, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ4_0Px2(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, gs, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0Px3(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, gs, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0Px4(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, gs, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0P(_ w: UnsafeRawPointer, _ gs: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q5_0, w, gs, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ5_0Px2(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, gs, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0Px3(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, gs, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0Px4(_ w: UnsafeRawPointer, _ gs: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, gs, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
}
#endif
