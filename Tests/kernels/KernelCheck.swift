// The kernel correctness suite as a program of the shipped (Embedded Swift)
// build, so that it runs where the Swift test suite cannot: on aarch64
// under qemu, once per CPU model (Tests/kernels/run.sh). For every weight
// type, with the kernel set this process chose (EDGELM_KERNELS selects a
// lesser one):
//   - each row's dot product against the scalar reference
//     (QuantKernels.dotReference) within 1e-5 of the sum of |terms|, as
//     QuantTests.simdDotMatchesReference;
//   - batches of 1...13 and 17 activations bit-identical to one activation
//     at a time (dotRowsPreparedBatch against dotRowsPrepared);
//   - rows not a multiple of 4, odd block counts, and column counts whose
//     prepared activation is processed in several chunks;
//   - the activation quantizer (q8_0/q8_1) against llama.cpp's AVX2 bytes.
// Prints one line per failure, the kernel set, and "N passed, N failed".
// With `dotprod-probe` it runs the dotprod build's kernel directly, without
// asking the CPU: on a CPU without dotprod that must die of SIGILL (the
// tests use it to show the kernel executes `sdot`).

import CEdgeSys
import EdgeLM

struct Rng {
  var state: UInt64
  mutating func next() -> UInt64 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return state
  }
  /// Roughly normal, mean 0, standard deviation `sigma` (sum of 4 uniforms).
  mutating func gaussian(_ sigma: Float) -> Float {
    var s: Float = 0
    for _ in 0..<4 { s += Float(next() % 1_000_000) / 1_000_000 - 0.5 }
    return s * sigma * 1.732
  }
}

var passed = 0
var failed = 0

func check(_ ok: Bool, _ what: @autoclosure () -> String) {
  if ok {
    passed += 1
  } else {
    failed += 1
    print("FAIL: " + what())
  }
}

func quantized(_ type: GGMLType, _ x: [Float]) -> [UInt8] {
  var out = [UInt8](repeating: 0, count: type.rowBytes(x.count)!)
  x.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBytes { QuantKernels.quantizeReference(type, src.baseAddress!, $0.baseAddress!, count: x.count) }
  }
  return out
}

/// A weight row: quantized Gaussian values, or (odd rows of the integer
/// types) random code bytes under a fixed scale, which reach every code.
func weightRow(_ type: GGMLType, cols: Int, row: Int, _ rng: inout Rng) -> [UInt8] {
  var bytes = quantized(type, (0..<cols).map { _ in rng.gaussian(0.05) })
  let raw: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0]
  if row % 2 == 1 && raw.contains(type) {
    let bb = type.blockBytes
    for b in 0..<(cols / 32) {
      let scaleBytes = type == .q8_0 || type == .q4_0 || type == .q5_0 ? 2 : 4
      for i in scaleBytes..<bb { bytes[b * bb + i] = UInt8(truncatingIfNeeded: rng.next()) }
    }
  }
  return bytes
}

func dequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
  var out = [Float](repeating: 0, count: count)
  bytes.withUnsafeBytes { src in
    out.withUnsafeMutableBufferPointer { QuantKernels.dequantizeReference(type, src.baseAddress!, $0.baseAddress!, count: count) }
  }
  return out
}

/// Sum of |terms| of the dot product (QuantTests' `magnitude`).
func magnitude(_ type: GGMLType, _ row: [UInt8], _ act: [UInt8], cols: Int) -> Double {
  let actType = QuantKernels.activationType(for: type)
  let w = dequantized(type, row, count: cols), a = dequantized(actType, act, count: cols)
  var sum = 0.0
  for i in 0..<cols { sum += abs(Double(w[i]) * Double(a[i])) }
  if type == .q4_1 || type == .q5_1 {
    for b in 0..<cols / 32 {
      let m = Half.toFloat(UInt16(row[b * type.blockBytes + 2]) | UInt16(row[b * type.blockBytes + 3]) << 8)
      let s = Half.toFloat(UInt16(act[b * 36 + 2]) | UInt16(act[b * 36 + 3]) << 8)
      sum += abs(Double(m) * Double(s))
    }
  }
  return sum
}

func bitsEqual(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern }

func checkType(_ type: GGMLType, cols: Int, rows: Int, _ rng: inout Rng) {
  let rowBytes = type.rowBytes(cols)!
  let stride = rowBytes + 13  // rows need not be aligned
  var matrix = [UInt8](repeating: 0, count: stride * rows)
  var weightRows: [[UInt8]] = []
  for r in 0..<rows {
    let row = weightRow(type, cols: cols, row: r, &rng)
    weightRows.append(row)
    for i in 0..<rowBytes { matrix[r * stride + i] = row[i] }
  }
  let actType = QuantKernels.activationType(for: type)
  let actBytes = actType.rowBytes(cols)!
  let batch = 17
  var acts = [UInt8](repeating: 0, count: actBytes * batch)
  for t in 0..<batch {
    let x = (0..<cols).map { _ in rng.gaussian(2) }
    let q = actType == .f32 ? x.withUnsafeBytes { [UInt8]($0) } : quantized(actType, x)
    for i in 0..<actBytes { acts[t * actBytes + i] = q[i] }
  }
  let name = type.name + " cols " + String(cols)

  matrix.withUnsafeBytes { w in
    acts.withUnsafeBytes { a in
      // One activation: dotRows against the scalar reference.
      var out = [Float](repeating: 0, count: rows)
      out.withUnsafeMutableBufferPointer {
        QuantKernels.dotRows(type, weights: w.baseAddress!, rowStride: stride, rows: rows,
                             activation: a.baseAddress!, cols: cols, out: $0.baseAddress!)
      }
      let act0 = [UInt8](a[0..<actBytes])
      for r in 0..<rows {
        let reference = weightRows[r].withUnsafeBytes { wr in
          QuantKernels.dotReference(type, wr.baseAddress!, a.baseAddress!, cols: cols)
        }
        let bound = 1e-5 * magnitude(type, weightRows[r], act0, cols: cols)
        let error = abs(Double(out[r]) - Double(reference))
        check(error <= bound, name + " row " + String(r) + ": kernel " + Format.fixed(Double(out[r]), 6)
              + " reference " + Format.fixed(Double(reference), 6))
      }

      // Batches: prepared once, every group size against one at a time.
      let pstride = (QuantKernels.preparedActivationBytes(type, cols: cols) + 63) & ~63
      guard pstride > 0 || type == .f32 else { return }
      var prepared = [UInt8](repeating: 0, count: Swift.max(pstride, 64) * batch + 64)
      prepared.withUnsafeMutableBytes { p in
        let base = p.baseAddress!
        let prep: UnsafeRawPointer, ps: Int
        if type == .f32 {
          prep = a.baseAddress!
          ps = actBytes
        } else {
          for t in 0..<batch {
            QuantKernels.prepareActivation(type, a.baseAddress! + t * actBytes, cols: cols, into: base + t * pstride)
          }
          prep = UnsafeRawPointer(base)
          ps = pstride
        }
        var single = [Float](repeating: 0, count: rows * batch)
        single.withUnsafeMutableBufferPointer { s in
          for t in 0..<batch {
            QuantKernels.dotRowsPrepared(type, weights: w.baseAddress!, rowStride: stride, rows: rows,
                                         prepared: prep + t * ps, cols: cols, out: s.baseAddress! + t * rows)
          }
        }
        for count in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17] {
          var many = [Float](repeating: 0, count: rows * count)
          many.withUnsafeMutableBufferPointer { m in
            QuantKernels.dotRowsPreparedBatch(type, weights: w.baseAddress!, rowStride: stride, rows: rows,
                                              prepared: prep, preparedStride: ps, batch: count, cols: cols,
                                              out: m.baseAddress!, outStride: rows)
          }
          var same = true
          for i in 0..<(rows * count) where !bitsEqual(many[i], single[i]) { same = false }
          check(same, name + " batch " + String(count) + " differs from one activation at a time")
        }
        checkPacked(type, w.baseAddress!, stride: stride, rows: rows, cols: cols, a.baseAddress!, out, prep, ps, single,
                    name)
      }
    }
  }
}

/// Where this CPU's kernels pack `type` (Quant/Arm/PackedWeights.swift): the
/// first rows (a multiple of 4) packed give bit-identical results to the
/// row-major kernels: `dotRows` of `activation` (`direct`: rows) for every
/// first row and count (a thread's range may start and end inside a group
/// of four), and `dotRowsPrepared` of each prepared activation (`single`:
/// batch x rows) for every batch size from each group's first row.
func checkPacked(
  _ type: GGMLType, _ w: UnsafeRawPointer, stride: Int, rows: Int, cols: Int, _ activation: UnsafeRawPointer,
  _ direct: [Float], _ prep: UnsafeRawPointer, _ ps: Int, _ single: [Float], _ name: String
) {
  let packedRows = rows & ~3
  guard QuantKernels.packs(type, rows: packedRows) else { return }
  var packed = [UInt8](repeating: 0, count: packedRows * type.rowBytes(cols)!)
  packed.withUnsafeMutableBytes { pb in
    let base = pb.baseAddress!
    check(QuantKernels.pack(type, w, rowStride: stride, rows: packedRows, cols: cols, into: base),
          name + " packs")
    let p = UnsafeRawPointer(base)
    var same = true
    for first in 0..<packedRows {
      for count in [1, 2, 3, 5, packedRows - first] where first + count <= packedRows {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
          QuantKernels.dotRowsPacked(type, packed: p, firstRow: first, rows: count, activation: activation,
                                     cols: cols, out: o.baseAddress!)
        }
        for i in 0..<count where !bitsEqual(out[i], direct[first + i]) { same = false }
      }
    }
    check(same, name + " packed rows differ from the row-major kernel")
    var rowsSame = true
    var unpacked = [Float](repeating: 0, count: cols), file = [Float](repeating: 0, count: cols)
    for r in 0..<packedRows {
      unpacked.withUnsafeMutableBufferPointer {
        QuantKernels.dequantizePackedRow(type, packed: p, row: r, cols: cols, into: $0.baseAddress!)
      }
      file.withUnsafeMutableBufferPointer { QuantKernels.dequantize(type, w + r * stride, $0.baseAddress!, count: cols) }
      for i in 0..<cols where !bitsEqual(unpacked[i], file[i]) { rowsSame = false }
    }
    check(rowsSame, name + " packed rows dequantize differently from the file's rows")
    let batch = single.count / rows
    for count in [1, 2, 3, 4, 5, 8, batch] {
      for first in Swift.stride(from: 0, to: packedRows, by: 4) {
        var many = [Float](repeating: 0, count: rows * count)
        many.withUnsafeMutableBufferPointer { m in
          QuantKernels.dotRowsPackedBatch(type, packed: p, firstRow: first, rows: packedRows - first, prepared: prep,
                                          preparedStride: ps, batch: count, cols: cols, out: m.baseAddress!,
                                          outStride: rows)
        }
        var equal = true
        for t in 0..<count {
          for r in first..<packedRows where !bitsEqual(many[t * rows + r - first], single[t * rows + r]) { equal = false }
        }
        check(equal, name + " packed batch " + String(count) + " from row " + String(first) + " differs")
      }
    }
  }
}

/// The activation quantizer (`quantize` to q8_0/q8_1) gives the bytes of
/// llama.cpp's AVX2 quantize_row_q8_0/_q8_1, written out here element by
/// element: scale 127/amax, round half to even, saturate; d and (q8_1)
/// d * sum as binary16. Blocks of Gaussian values, exact ties (x.5 after
/// scaling), zeros and a lone large value.
func checkActivationQuantizer(_ rng: inout Rng) {
  var blocks: [[Float]] = []
  for _ in 0..<64 { blocks.append((0..<32).map { _ in rng.gaussian(3) }) }
  blocks.append([Float](repeating: 0, count: 32))
  blocks.append((0..<32).map { Float($0 % 5) - 2.5 + ($0 == 0 ? 124.5 : 0) })  // 127 / 127 = 1: ties
  blocks.append((0..<32).map { $0 == 7 ? 1e30 : 1e-30 })
  for type in [GGMLType.q8_0, .q8_1] {
    let bytes = type.blockBytes, qs = type == .q8_0 ? 2 : 4
    for (i, x) in blocks.enumerated() {
      var got = [UInt8](repeating: 0, count: bytes)
      x.withUnsafeBufferPointer { src in
        got.withUnsafeMutableBytes { QuantKernels.quantize(type, src.baseAddress!, $0.baseAddress!, count: 32) }
      }
      var amax: Float = 0
      for v in x { amax = Swift.max(amax, abs(v)) }
      let d = amax / 127, id: Float = amax != 0 ? 127 / amax : 0
      var expected = [UInt8](repeating: 0, count: bytes)
      let dBits = Half.fromFloat(d)
      expected[0] = UInt8(dBits & 0xFF)
      expected[1] = UInt8(dBits >> 8)
      var sum: Int32 = 0
      for j in 0..<32 {
        let q = Int32((x[j] * id).rounded(.toNearestOrEven))
        sum += q
        expected[qs + j] = UInt8(bitPattern: Int8(clamping: q))
      }
      if type == .q8_1 {
        let sBits = Half.fromFloat(d * Float(sum))
        expected[2] = UInt8(sBits & 0xFF)
        expected[3] = UInt8(sBits >> 8)
      }
      check(got == expected, type.name + " activation block " + String(i) + " differs from AVX2's bytes")
    }
  }
}

/// One row of q8_0 through the dotprod build's kernel, whatever the CPU.
func probe() {
  #if EDGELM_ARM_KERNELS
  var w = [UInt8](repeating: 1, count: 34 * 4), act = [UInt8](repeating: 1, count: 34 * 4)
  var prep = [UInt8](repeating: 0, count: 40 * 4)
  var out = [Float](repeating: 0, count: 1)
  act.withUnsafeMutableBytes { a in
    prep.withUnsafeMutableBytes { p in
      edgelmarm_dotprod_prepare(8, a.baseAddress!, 4, p.baseAddress!)
      w.withUnsafeMutableBytes { wb in
        out.withUnsafeMutableBufferPointer {
          edgelmarm_dotprod_rows(8, wb.baseAddress!, 34 * 4, 1, p.baseAddress!, 4, $0.baseAddress!, false)
        }
      }
    }
  }
  print("dotprod kernel ran")
  #else
  print("no Arm kernels in this build")
  #endif
}

let arguments = (try? ProcessArguments.current()) ?? []
if arguments.count > 1 && arguments[1] == "dotprod-probe" {
  probe()
  exit(0)
}
var rng = Rng(state: 0x9E37_79B9_7F4A_7C15)
checkActivationQuantizer(&rng)
let blockTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0]
let kTypes: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
for type in blockTypes {
  // One block, an odd number, SmolLM2's widths, and more blocks than one
  // prepared chunk holds.
  for cols in [32, 96, 576, 1536, 11264] {
    checkType(type, cols: cols, rows: cols > 4000 ? 9 : 13, &rng)
  }
}
for type in kTypes {
  // ... and more super-blocks than one prepared chunk holds (11264).
  for cols in [256, 768, 2048, 11264] { checkType(type, cols: cols, rows: cols > 4000 ? 5 : 9, &rng) }
}
print("kernels: " + QuantKernels.kernelSet.name)
print(String(passed) + " passed, " + String(failed) + " failed")
exit(failed > 0 ? 1 : 0)
