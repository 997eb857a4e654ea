// What a backend provides for one weight type, and the row loops made from
// it. A backend (Portable/, X86/, Arm/) writes one `RowKernel` conformance
// per type it speeds up (a caseless enum: `PortableQ4_0`, `X86Q8_0`, ...);
// `RowKernels(K.self)` turns it into the entry the registry
// (KernelRegistry.swift) hands out. The per-count specialisation that used
// to be one hand-written `@inline(never)` function per (type, count) comes
// from the generic loops below: `RowLoops.group(K.self, Four.self, ...)` is
// compiled once per kernel and group size with `count` a constant, so each
// is its own symbol in profiles (`RowLoops.group<X86Q4_0, Four>`).

/// One backend's matrix-vector kernels for one weight type.
protocol RowKernel {
  /// The family the kernel belongs to (`edgelm info` prints it).
  static var set: KernelSet { get }
  /// Bytes `prepare` writes for `blocks` activation blocks.
  static func preparedBytes(blocks: Int) -> Int
  /// The most blocks whose prepared activation fits `scratchBytes`; even,
  /// so chunks of columns split at pair boundaries.
  static var maxBlocks: Int { get }
  /// How many of `left` (2 or more) activations of a batch the next
  /// multi-activation call takes; 1 when the kernel has no multi-activation
  /// loop (the batch then goes one activation at a time). Defaults to
  /// `QuantKernels.batchGroup` (groups of 2...4), or 1 when `maxGroup` is 1.
  static func group(left: Int) -> Int
  /// Converts `blocks` activation blocks (in `activationType(for:)` format)
  /// into the layout `rows` reads.
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer)
  /// `out[r + k * outStride]` = (or += with `accumulate`) dot(weight row r,
  /// prepared activation k) for r < rows, k < count. Conformances inline
  /// this (`@inline(__always)`): `count` is a compile-time constant in every
  /// caller below (1, or a group size), `accumulate` is only set with 1.
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool)
  /// `rows` for a group of `count` activations (a value `group(left:)`
  /// returned). The default goes through `RowLoops.multi`; a kernel whose
  /// loops live elsewhere (the Arm module's C entry points) passes `count` on.
  static func rowsMulti(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int)
  /// Whether matrices of this type are packed at load into interleaved
  /// groups of rows for this kernel (Arm/PackedWeights.swift). Default false.
  static var packs: Bool { get }
  /// The largest group size `group(left:)` returns (bounds the loops
  /// `RowLoops.multi` compiles); 1 for a kernel without multi-activation
  /// loops.
  static var maxGroup: Int { get }
}

extension RowKernel {
  static func group(left: Int) -> Int { maxGroup == 1 ? 1 : QuantKernels.batchGroup(left) }
  static var maxGroup: Int { 4 }
  static var packs: Bool { false }
  static func rowsMulti(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    RowLoops.multi(Self.self, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
  }
}

/// A `RowKernel` as a value: what the registry stores per weight type. The
/// function values capture nothing (each refers to one specialisation). A
/// class, so that a lookup copies one reference rather than seven function
/// values (whose contexts a struct copy would retain and release).
final class RowKernels {
  let set: KernelSet
  let maxBlocks: Int
  let packs: Bool
  let preparedBytes: (_ blocks: Int) -> Int
  let group: (_ left: Int) -> Int
  let prepare: (_ activation: UnsafeRawPointer, _ blocks: Int, _ into: UnsafeMutableRawPointer) -> Void
  /// (w, stride, rows, prep, blocks, out, accumulate): one activation.
  let rows: (UnsafeRawPointer, Int, Int, UnsafeRawPointer, Int, UnsafeMutablePointer<Float>, Bool) -> Void
  /// (w, stride, rows, prep, prepStride, count, blocks, out, outStride).
  let rowsMulti: (UnsafeRawPointer, Int, Int, UnsafeRawPointer, Int, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void

  init<K: RowKernel>(_ kernel: K.Type) {
    set = K.set
    maxBlocks = K.maxBlocks
    packs = K.packs
    preparedBytes = { K.preparedBytes(blocks: $0) }
    group = { K.group(left: $0) }
    prepare = { K.prepare($0, blocks: $1, into: $2) }
    rows = { RowLoops.one(K.self, $0, $1, $2, $3, $4, $5, $6) }
    rowsMulti = { K.rowsMulti($0, stride: $1, rows: $2, $3, prepStride: $4, count: $5, blocks: $6, $7, outStride: $8) }
  }
}

/// Counts as types, so that a generic loop is specialised per count
/// (activations here, query heads in Attention.heads).
protocol GroupSize { static var count: Int { get } }
enum One: GroupSize { static var count: Int { 1 } }
enum Two: GroupSize { static var count: Int { 2 } }
enum Three: GroupSize { static var count: Int { 3 } }
enum Four: GroupSize { static var count: Int { 4 } }
enum Five: GroupSize { static var count: Int { 5 } }
enum Six: GroupSize { static var count: Int { 6 } }
enum Seven: GroupSize { static var count: Int { 7 } }
enum Eight: GroupSize { static var count: Int { 8 } }
enum Nine: GroupSize { static var count: Int { 9 } }
enum Ten: GroupSize { static var count: Int { 10 } }
enum Eleven: GroupSize { static var count: Int { 11 } }
enum Twelve: GroupSize { static var count: Int { 12 } }

/// The non-inlined row loops: one per kernel for a single activation, one
/// per kernel and group size for batches. Each is compiled for its kernel
/// alone, so it is easy to find in `-emit-assembly` output and in profiles.
enum RowLoops {
  @inline(never)
  static func one<K: RowKernel>(
    _: K.Type, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ blocks: Int,
    _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool
  ) {
    K.rows(w, stride: stride, rows: rows, prep, prepStride: 0, count: 1, blocks: blocks, out, outStride: 0,
           accumulate: accumulate)
  }

  @inline(never)
  static func group<K: RowKernel, N: GroupSize>(
    _: K.Type, _: N.Type, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ prepStride: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    K.rows(w, stride: stride, rows: rows, prep, prepStride: prepStride, count: N.count, blocks: blocks, out,
           outStride: outStride, accumulate: false)
  }

  /// Runs the loop for `count` (2...K.maxGroup) activations. The loops
  /// for counts above `K.maxGroup` are not compiled.
  static func multi<K: RowKernel>(
    _ k: K.Type, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ ps: Int,
    _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int
  ) {
    guard K.maxGroup > 1 else { return }
    switch count {
    case 2: group(k, Two.self, w, stride, rows, prep, ps, blocks, out, os)
    case 3: group(k, Three.self, w, stride, rows, prep, ps, blocks, out, os)
    case 4: group(k, Four.self, w, stride, rows, prep, ps, blocks, out, os)
    default:
      // Only kernels with larger groups get these loops compiled.
      guard K.maxGroup > 4 else { return }
      switch count {
      case 5: group(k, Five.self, w, stride, rows, prep, ps, blocks, out, os)
      case 6: group(k, Six.self, w, stride, rows, prep, ps, blocks, out, os)
      case 7: group(k, Seven.self, w, stride, rows, prep, ps, blocks, out, os)
      case 8: group(k, Eight.self, w, stride, rows, prep, ps, blocks, out, os)
      default:
        guard K.maxGroup > 8 else { return }
        switch count {
        case 9: group(k, Nine.self, w, stride, rows, prep, ps, blocks, out, os)
        case 10: group(k, Ten.self, w, stride, rows, prep, ps, blocks, out, os)
        case 11: group(k, Eleven.self, w, stride, rows, prep, ps, blocks, out, os)
        case 12: group(k, Twelve.self, w, stride, rows, prep, ps, blocks, out, os)
        default: return
        }
      }
    }
  }
}
