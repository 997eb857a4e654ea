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
// count is a multiple of 4), groups 4 x the row bytes apart, so a group
// takes exactly the bytes of its four rows in the file. A group of B
// blocks per row holds first the scales, B x 8 bytes (block b: d of rows
// 0...3, 4 x f16), then the codes, B x `codeBytes` (block b's at b x
// codeBytes: 16-byte aligned offsets, so pairs of chunks load with `ldp`):
//   q8_0 (128 bytes of codes): 8 chunks of 16 bytes, chunk j = codes
//        4j..<4j+4 of row 0, of row 1, of row 2, of row 3.
//   q4_0 (64 bytes of codes): 4 chunks of 16 bytes,
//        chunk m = bytes 4m..<4m+4 of the file's qs of rows 0...3, each
//        XOR 0x88: low nibble (q - 8) of element 4m+e, high nibble (q - 8)
//        of element 16+4m+e, as two's-complement 4-bit numbers. `v << 4`
//        and `v & 0xF0`, read as int8, are 16 (q - 8): the integer sum
//        comes out 16 times too large, and is scaled back exactly.
//   q5_0 (80 bytes of codes): 4 chunks of low nibbles as q4_0's
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
  /// Bytes of one block of one row in the file.
  @inline(__always) var fileBlockBytes: Int { file.blockBytes }
  /// Bytes of one block of four rows' codes (4 x the file block, less the
  /// four d values).
  @inline(__always) var codeBytes: Int { 4 &* file.blockBytes &- 8 }
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

/// Where block `b` of a group with `rowBlocks` blocks per row keeps its
/// four d values and its codes.
@inline(__always)
func packedScales(_ group: UnsafeRawPointer, _ b: Int) -> UnsafeRawPointer { group + 8 &* b }
@inline(__always)
func packedCodes(_ f: PackedFormat, _ group: UnsafeRawPointer, rowBlocks: Int, _ b: Int) -> UnsafeRawPointer {
  group + (8 &* rowBlocks &+ f.codeBytes &* b)
}

/// lane `i` of `v` in every lane, as bytes (LLVM selects `sdot` by
/// element when this feeds `vdotq_s32`).
@inline(__always)
func broadcast(_ v: SIMD4<Int32>, _ i: Int) -> int8x16_t {
  unsafeBitCast(SIMD4<Int32>(repeating: v[i]), to: int8x16_t.self)
}

/// sum over the eight chunks of sdot(chunk j, activation codes 4j..<4j+4
/// in every lane), where `a0`, `a1` hold the activation block's codes
/// 0..<16 and 16..<32 as Int32 lanes of four: per lane (row) the block's
/// dot product. One chain: the integer sums of different blocks and groups
/// are independent, which keeps the sdot pipes busy.
@inline(__always)
func chunkDot(
  _ w: (int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t, int8x16_t),
  _ a0: SIMD4<Int32>, _ a1: SIMD4<Int32>
) -> int32x4_t {
  var s = vdotq_s32(vdupq_n_s32(0), w.0, broadcast(a0, 0))
  s = vdotq_s32(s, w.1, broadcast(a0, 1))
  s = vdotq_s32(s, w.2, broadcast(a0, 2))
  s = vdotq_s32(s, w.3, broadcast(a0, 3))
  s = vdotq_s32(s, w.4, broadcast(a1, 0))
  s = vdotq_s32(s, w.5, broadcast(a1, 1))
  s = vdotq_s32(s, w.6, broadcast(a1, 2))
  return vdotq_s32(s, w.7, broadcast(a1, 3))
}

/// The eight 16-byte chunks of a packed block's codes, in element order
/// (chunk j: elements 4j..<4j+4 of the four rows): q4_0 and q5_0 nibbles
/// as 16 (nibble - 8).
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

/// -1 in the lanes of `v` that have a bit of `mask` set, else 0.
@inline(__always)
func bitsSet(_ v: int8x16_t, _ mask: int8x16_t) -> int8x16_t { unsafeBitCast(vtstq_s8(v, mask), to: int8x16_t.self) }

/// One block of four rows (`codes`) with one activation block: the exact
/// integer dot products per row, as Floats (q4_0: 16 times them).
@inline(__always)
func packedBlockSum(
  _ f: PackedFormat, _ codes: UnsafeRawPointer, _ a0: SIMD4<Int32>, _ a1: SIMD4<Int32>, asum: Int32
) -> SIMD4<Float> {
  let s = chunkDot(packedChunks(f, codes), a0, a1)
  guard f == .q5_0 else { return SIMD4<Float>(vcvtq_f32_s32(s)) }
  // sum(a (nib - 8)) + 16 sum(a b) - 8 sum(a) = sum(a (q - 16)), exactly:
  // the fifth bits tested into 0 / -1 bytes give -sum(a b).
  let qh = codes.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self)
  let one = int8x16_t(repeating: 1)
  let minusAB = chunkDot((bitsSet(qh, one), bitsSet(qh, one &<< 1), bitsSet(qh, one &<< 2), bitsSet(qh, one &<< 3),
                          bitsSet(qh, one &<< 4), bitsSet(qh, one &<< 5), bitsSet(qh, one &<< 6),
                          bitsSet(qh, int8x16_t(repeating: -128))), a0, a1)
  return SIMD4<Float>((s &>> 4) &- (minusAB &<< 4) &- SIMD4<Int32>(repeating: asum &<< 3))
}

/// acc + one block's row sums x `scale` (d x d_a per row): four rows'
/// block (`codes`) with the activation block whose codes are at `act` (its
/// sum of codes at `actScale + auxOffset`).
@inline(__always)
func packedApply(
  _ f: PackedFormat, _ codes: UnsafeRawPointer, _ act: UnsafeRawPointer, _ actScale: UnsafeRawPointer,
  _ auxOffset: Int, _ scale: SIMD4<Float>, _ acc: SIMD4<Float>
) -> SIMD4<Float> {
  let a0 = act.loadUnaligned(as: SIMD4<Int32>.self), a1 = act.loadUnaligned(fromByteOffset: 16, as: SIMD4<Int32>.self)
  let sum = packedBlockSum(f, codes, a0, a1,
                           asum: f == .q5_0 ? actScale.loadUnaligned(fromByteOffset: auxOffset, as: Int32.self) : 0)
  return acc.addingProduct(sum, scale)
}

/// One block of `packedGroups` (the accumulators per activation, or per
/// group). q4_0's sums come out 16 times too large, so its scale takes
/// 1/16, on the side shared by more products (exact: Float(16 s) x
/// (d d_a / 16) is Float(s) x d d_a with the same rounding).
@inline(__always)
func packedStep(
  _ f: PackedFormat, groups: Int, count: Int, _ acc: inout (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>),
  _ scales: UnsafeRawPointer, _ codes: UnsafeRawPointer, _ act: UnsafeRawPointer, _ actScale: UnsafeRawPointer,
  _ aux: Int, _ prepStride: Int, _ groupStride: Int
) {
  @inline(__always)
  func d(_ g: Int) -> SIMD4<Float> { SIMD4<Float>((scales + g &* groupStride).loadUnaligned(as: SIMD4<Float16>.self)) }
  @inline(__always)
  func da(_ k: Int) -> Float { (actScale + k &* prepStride).loadUnaligned(as: Float.self) }
  if groups == 2 {
    var a = da(0)
    if f == .q4_0 { a *= 0.0625 }
    acc.0 = packedApply(f, codes, act, actScale, aux, d(0) * a, acc.0)
    acc.1 = packedApply(f, codes + groupStride, act, actScale, aux, d(1) * a, acc.1)
    return
  }
  var w = d(0)
  if f == .q4_0 { w *= 0.0625 }
  acc.0 = packedApply(f, codes, act, actScale, aux, w * da(0), acc.0)
  if count >= 2 { acc.1 = packedApply(f, codes, act + prepStride, actScale + prepStride, aux, w * da(1), acc.1) }
  if count >= 3 {
    acc.2 = packedApply(f, codes, act + 2 &* prepStride, actScale + 2 &* prepStride, aux, w * da(2), acc.2)
  }
  if count >= 4 {
    acc.3 = packedApply(f, codes, act + 3 &* prepStride, actScale + 3 &* prepStride, aux, w * da(3), acc.3)
  }
}

/// `groups` (1 or 2: rows 0...3, 4...7) groups of four rows from `group`
/// (`groupStride` apart), blocks `first..<first+blocks` of `rowBlocks`,
/// times `count` (1...4; 1 with two groups) prepared activations
/// `prepStride` bytes apart: per activation and group the vector
/// [row0...row3]. (No local functions: a closure that captures the
/// pointers is not always inlined, and then boxes them on the heap.)
@inline(__always)
func packedGroups(
  _ f: PackedFormat, _ group: UnsafeRawPointer, _ groupStride: Int, groups: Int, rowBlocks: Int, first: Int,
  _ prep: UnsafeRawPointer, _ prepStride: Int, count: Int, blocks: Int, _ body: (Int, Int, SIMD4<Float>) -> Void
) {
  // Per activation (group 0), or per group (one activation).
  var acc = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
  var scales = packedScales(group, first), codes = packedCodes(f, group, rowBlocks: rowBlocks, first)
  var act = prep, actScale = prep + 32 &* blocks
  let aux = 4 &* blocks  // from a block's d_a to its sum of codes
  // One block per iteration: unrolled by two, the loop no longer fits
  // the inliner's budget and a block's step becomes a call.
  for _ in 0..<blocks {
    packedStep(f, groups: groups, count: count, &acc, scales, codes, act, actScale, aux, prepStride, groupStride)
    scales += 8
    codes += f.codeBytes
    act += 32
    actScale += 4
  }
  if groups == 2 {
    body(0, 0, acc.0)
    body(0, 1, acc.1)
    return
  }
  body(0, 0, acc.0)
  if count >= 2 { body(1, 0, acc.1) }
  if count >= 3 { body(2, 0, acc.2) }
  if count >= 4 { body(3, 0, acc.3) }
}

/// Rows `skip..<skip+rows` of the packed matrix whose first group is at `w`
/// (row 0 of that group is row 0 here; `rowBlocks` blocks per row) over
/// blocks `first..<first+blocks`, times `count` activations:
/// out[k * outStride + i] (+)= dot(row skip+i, activation k). One
/// activation takes whole groups two at a time.
@inline(__always)
func packedRowLoop(
  _ f: PackedFormat, _ w: UnsafeRawPointer, rowBlocks: Int, first: Int, skip: Int, rows: Int,
  _ prep: UnsafeRawPointer, _ prepStride: Int, count: Int, blocks: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int, accumulate: Bool
) {
  let groupStride = rowBlocks &* 4 &* f.fileBlockBytes
  var g = w
  var lane = skip           // the group's first row to write
  var done = 0              // outputs written so far
  while done < rows {
    let pair = count == 1 && lane == 0 && rows &- done >= 8
    let n = pair ? 8 : Swift.min(4 &- lane, rows &- done)
    let lo = lane, o = out + done
    let store = { (k: Int, grp: Int, v: SIMD4<Float>) in
      let dst = o + k &* outStride + 4 &* grp
      if n >= 4 && !accumulate {
        UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD4<Float>.self)
      } else {
        for i in 0..<Swift.min(n, 4) {
          if accumulate { dst[i] += v[lo &+ i] } else { dst[i] = v[lo &+ i] }
        }
      }
    }
    // Two copies of the block loop, each with its group count constant.
    if pair {
      packedGroups(f, g, groupStride, groups: 2, rowBlocks: rowBlocks, first: first, prep, prepStride,
                   count: 1, blocks: blocks, store)
    } else {
      packedGroups(f, g, groupStride, groups: 1, rowBlocks: rowBlocks, first: first, prep, prepStride,
                   count: count, blocks: blocks, store)
    }
    done &+= n
    lane = 0
    g += pair ? 2 &* groupStride : groupStride
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
  let groupStride = blocks &* 4 &* f.fileBlockBytes
  for g in 0..<(rows / 4) {
    let group = dst + g &* groupStride
    for b in 0..<blocks {
      let block = src + 4 &* g &* rowStride + b &* f.fileBlockBytes  // row 4g's block b
      let scales = UnsafeMutableRawPointer(mutating: packedScales(group, b))
      let codes = UnsafeMutableRawPointer(mutating: packedCodes(f, group, rowBlocks: blocks, b))
      for i in 0..<4 {
        let row = block + i &* rowStride
        scales.storeBytes(of: row.loadUnaligned(as: UInt16.self), toByteOffset: 2 &* i, as: UInt16.self)
        for j in 0..<f.codeChunks {
          var four = row.loadUnaligned(fromByteOffset: f.file.qs &+ 4 &* j, as: UInt32.self)
          if f != .q8_0 { four ^= 0x8888_8888 }  // nibbles q - 8, two's complement
          codes.storeBytes(of: four, toByteOffset: 16 &* j &+ 4 &* i, as: UInt32.self)
        }
        if f == .q5_0 {
          // Fifth bits by lane: byte 4i+e, bit j = bit 4j+e of row i's qh.
          let qh = row.loadUnaligned(fromByteOffset: f.file.qh, as: UInt32.self)
          for e in 0..<4 {
            var byte: UInt8 = 0
            for j in 0..<8 where qh & (1 &<< UInt32(4 &* j &+ e)) != 0 { byte |= 1 &<< UInt8(j) }
            codes.storeBytes(of: byte, toByteOffset: 64 &+ 4 &* i &+ e, as: UInt8.self)
          }
        }
      }
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
  let group = packed + (row / 4) &* blocks &* 4 &* f.fileBlockBytes
  for k in 0..<count {
    let b = first &+ k
    let scales = packedScales(group, b), codes = packedCodes(f, group, rowBlocks: blocks, b)
    let out = dst + k &* f.fileBlockBytes
    out.storeBytes(of: scales.loadUnaligned(fromByteOffset: 2 &* lane, as: UInt16.self), as: UInt16.self)
    for j in 0..<f.codeChunks {
      var four = codes.loadUnaligned(fromByteOffset: 16 &* j &+ 4 &* lane, as: UInt32.self)
      if f != .q8_0 { four ^= 0x8888_8888 }
      out.storeBytes(of: four, toByteOffset: f.file.qs &+ 4 &* j, as: UInt32.self)
    }
    if f == .q5_0 {
      var qh: UInt32 = 0
      for e in 0..<4 {
        let byte = codes.load(fromByteOffset: 64 &+ 4 &* lane &+ e, as: UInt8.self)
        for j in 0..<8 where byte & (1 &<< UInt8(j)) != 0 { qh |= 1 &<< UInt32(4 &* j &+ e) }
      }
      out.storeBytes(of: qh, toByteOffset: f.file.qh, as: UInt32.self)
    }
  }
}

/// Rows `skip..<skip+rows` from the group at `w` (`rowBlocks` blocks per
/// row), over blocks `first..<first+blocks` (the prepared activation's).
@_cdecl("edgelmarm_dotprod_packed_rows")
public func armPackedRows(
  _ type: Int32, _ w: UnsafeRawPointer, _ rowBlocks: Int, _ first: Int, _ skip: Int, _ rows: Int,
  _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool
) {
  switch PackedFormat(id: type) {
  case .q8_0: ArmPacked.rowsQ8_0P(w, rowBlocks, first, skip, rows, p, n, out, acc)
  case .q4_0: ArmPacked.rowsQ4_0P(w, rowBlocks, first, skip, rows, p, n, out, acc)
  case .q5_0: ArmPacked.rowsQ5_0P(w, rowBlocks, first, skip, rows, p, n, out, acc)
  case nil: break
  }
}

/// `count` 2...4 activations, every block; rows from the first of the group at `w`.
@_cdecl("edgelmarm_dotprod_packed_rows_multi")
public func armPackedRowsMulti(
  _ type: Int32, _ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int,
  _ count: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
) {
  switch (PackedFormat(id: type), count) {
  case (.q8_0, 2): ArmPacked.rowsQ8_0Px2(w, rows, p, ps, n, out, os)
  case (.q8_0, 3): ArmPacked.rowsQ8_0Px3(w, rows, p, ps, n, out, os)
  case (.q8_0, _): ArmPacked.rowsQ8_0Px4(w, rows, p, ps, n, out, os)
  case (.q4_0, 2): ArmPacked.rowsQ4_0Px2(w, rows, p, ps, n, out, os)
  case (.q4_0, 3): ArmPacked.rowsQ4_0Px3(w, rows, p, ps, n, out, os)
  case (.q4_0, _): ArmPacked.rowsQ4_0Px4(w, rows, p, ps, n, out, os)
  case (.q5_0, 2): ArmPacked.rowsQ5_0Px2(w, rows, p, ps, n, out, os)
  case (.q5_0, 3): ArmPacked.rowsQ5_0Px3(w, rows, p, ps, n, out, os)
  case (.q5_0, _): ArmPacked.rowsQ5_0Px4(w, rows, p, ps, n, out, os)
  case (nil, _): break
  }
}

/// One non-inlined loop per format and activation count, named for
/// profiles and the instruction-count tools (rowsQ8_0P, rowsQ8_0Px4, ...).
enum ArmPacked {
  @inline(never) static func rowsQ8_0P(_ w: UnsafeRawPointer, _ rb: Int, _ first: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q8_0, w, rowBlocks: rb, first: first, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ8_0Px2(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0Px3(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ8_0Px4(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q8_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0P(_ w: UnsafeRawPointer, _ rb: Int, _ first: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q4_0, w, rowBlocks: rb, first: first, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ4_0Px2(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0Px3(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ4_0Px4(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q4_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0P(_ w: UnsafeRawPointer, _ rb: Int, _ first: Int, _ skip: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    packedRowLoop(.q5_0, w, rowBlocks: rb, first: first, skip: skip, rows: rows, p, 0, count: 1, blocks: n, out, 0, accumulate: acc)
  }
  @inline(never) static func rowsQ5_0Px2(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 2, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0Px3(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 3, blocks: n, out, os, accumulate: false)
  }
  @inline(never) static func rowsQ5_0Px4(_ w: UnsafeRawPointer, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    packedRowLoop(.q5_0, w, rowBlocks: n, first: 0, skip: 0, rows: rows, p, ps, count: 4, blocks: n, out, os, accumulate: false)
  }
}
#endif
