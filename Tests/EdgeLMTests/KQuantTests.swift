import Foundation
import Testing
@testable import EdgeLM

// K-quant formats (q2_K...q6_K weights, q8_K activations) against blocks and
// results produced independently: llama.cpp's reference quantizers, its
// vec_dot kernels and gguf-py's dequantization (kquant_blocks.json, from
// Tests/Fixtures/make_kquant_fixtures.py), and the real Gemma 3 model file.

let kWeightTypes: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

func base64Bytes(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }

func base64Floats(_ s: String) -> [Float] {
  let bytes = base64Bytes(s)
  return (0..<bytes.count / 4).map { i in
    Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
  }
}

/// Random K-quant blocks covering every code and scale bit: random bytes
/// with the f16 scale fields replaced by finite values.
func randomKBlocks(_ type: GGMLType, blocks: Int, _ rng: inout SeededRandom) -> [UInt8] {
  var bytes = (0..<type.blockBytes * blocks).map { _ in UInt8.random(in: 0...255, using: &rng) }
  func put(_ offset: Int, _ v: Float) {
    let h = Half.fromFloat(v)
    bytes[offset] = UInt8(h & 0xFF)
    bytes[offset + 1] = UInt8(h >> 8)
  }
  for b in 0..<blocks {
    let o = b * type.blockBytes
    switch type {
    case .q2_K: put(o + 80, Float.random(in: 0.001...0.1, using: &rng)); put(o + 82, Float.random(in: 0.001...0.1, using: &rng))
    case .q3_K: put(o + 108, Float.random(in: -0.1...0.1, using: &rng))
    case .q4_K, .q5_K: put(o, Float.random(in: 0.001...0.1, using: &rng)); put(o + 2, Float.random(in: 0.001...0.1, using: &rng))
    case .q6_K: put(o + 208, Float.random(in: -0.01...0.01, using: &rng))
    default: break
    }
  }
  return bytes
}

/// Σ |w_i a_i| over the dequantized values: the scale of the rounding error
/// of any way of summing the dot product.
func kMagnitude(_ type: GGMLType, _ row: [UInt8], _ act: [UInt8], cols: Int) -> Double {
  let w = dequantized(type, row, count: cols, reference: true)
  let a = dequantized(.q8_K, act, count: cols, reference: true)
  return zip(w, a).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
}

func floatDot(_ a: [Float], _ b: [Float]) -> Double {
  zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite struct KQuantFixtureTests {
  static let json: [String: Any] = {
    let data = try! TestPaths.fixture("kquant_blocks.json")
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }()
  static var synthetic: [String: Any] { json["synthetic"] as! [String: Any] }
  static var activation: [String: String] { json["activation"] as! [String: String] }
  static let typesByName: [String: GGMLType] = ["q2_K": .q2_K, "q3_K": .q3_K, "q4_K": .q4_K, "q5_K": .q5_K, "q6_K": .q6_K, "q5_0": .q5_0]

  @Test func typeTables() {
    for type in kWeightTypes {
      #expect(QuantKernels.isSupported(type))
      #expect(QuantKernels.canConvert(type))
      #expect(QuantKernels.activationType(for: type) == .q8_K)
      // 612 bytes per super-block in the portable layout (KPrepared), 320
      // in the AVX2 one (KInt8Layout) for the types that have it.
      let perBlock = QuantKernels.preparedActivationBytes(type, cols: 256)
      #expect(perBlock == 612 || (perBlock == 320 && (type == .q4_K || type == .q6_K)))
      #expect(QuantKernels.preparedActivationBytes(type, cols: 512) == 2 * perBlock)
    }
    #expect(!QuantKernels.isSupported(.q8_K))
    #expect(QuantKernels.canConvert(.q8_K))
  }

  /// gguf-py's dequantization of llama.cpp-quantized blocks, bit for bit.
  @Test(arguments: ["q2_K", "q3_K", "q4_K", "q5_K", "q6_K"])
  func dequantizeIsBitIdenticalToGguf(_ name: String) {
    let entry = (Self.synthetic["types"] as! [String: [String: String]])[name]!
    let type = Self.typesByName[name]!
    let bytes = base64Bytes(entry["quantized"]!), expected = base64Floats(entry["dequantized"]!)
    #expect(bitsEqual(dequantized(type, bytes, count: expected.count), expected), "dequantize(\(name))")
    #expect(bitsEqual(dequantized(type, bytes, count: expected.count, reference: true), expected), "dequantizeReference(\(name))")
  }

  /// Our ports of quantize_row_q{2..6}_K_ref produce llama.cpp's bytes.
  @Test(arguments: ["q2_K", "q3_K", "q4_K", "q5_K", "q6_K"])
  func referenceQuantizersAreByteIdenticalToLlamaCpp(_ name: String) {
    let input = base64Floats(Self.synthetic["input"] as! String)
    let entry = (Self.synthetic["types"] as! [String: [String: String]])[name]!
    let type = Self.typesByName[name]!
    let expected = base64Bytes(entry["quantized"]!)
    let ours = quantized(type, input, reference: true)
    #expect(ours.count == expected.count)
    let differing = zip(ours, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    #expect(differing.isEmpty, "\(name): \(differing.count) bytes differ, first at \(differing.first ?? -1)")
    #expect(quantized(type, input) == ours, "quantize(\(name)) is the reference")
  }

  /// q8_K activations equal llama.cpp's quantize_row_q8_K (= _ref on x86).
  @Test func q8KQuantizerMatchesLlamaCpp() {
    let x = base64Floats(Self.activation["input"]!)
    let expected = base64Bytes(Self.activation["q8_K"]!)
    #expect(quantized(.q8_K, x) == expected)
    #expect(quantized(.q8_K, x, reference: true) == expected)
    // Dequantization is d * q.
    let back = dequantized(.q8_K, expected, count: x.count)
    #expect(bitsEqual(back, dequantized(.q8_K, expected, count: x.count, reference: true)))
    for b in 0..<x.count / 256 {
      let d = Float(bitPattern: UInt32(expected[292 * b]) | UInt32(expected[292 * b + 1]) << 8
        | UInt32(expected[292 * b + 2]) << 16 | UInt32(expected[292 * b + 3]) << 24)
      for j in 0..<256 {
        #expect(back[256 * b + j].bitPattern == (d * Float(Int8(bitPattern: expected[292 * b + 4 + j]))).bitPattern)
      }
    }
  }

  /// The fused dot of each llama.cpp-quantized row with the q8_K activation
  /// agrees with (1) our scalar reference, (2) llama.cpp's AVX2 vec_dot, and
  /// (3) the float dot of the dequantized values: all three compute the same
  /// real number up to float rounding (the integer parts are exact), so the
  /// bound is 1e-5 of Σ|w_i a_i|. Against the unquantized floats the error
  /// is the quantization error, dominated here by row 1 (scale 0.02 with
  /// outliers 3.0 and -4.5): measured (llama.cpp's dots, all rows) at most
  /// q2_K 0.27, q3_K 0.094, q4_K 0.100, q5_K 0.086, q6_K 0.026 of
  /// Σ|x_i a_i| (the activation's own q8_K error included); the bounds are
  /// 1.5 times that.
  @Test(arguments: ["q2_K", "q3_K", "q4_K", "q5_K", "q6_K"])
  func dotMatchesReferenceLlamaCppAndFloatDot(_ name: String) {
    let type = Self.typesByName[name]!
    let rows = Self.synthetic["rows"] as! Int, cols = Self.synthetic["cols"] as! Int
    let input = base64Floats(Self.synthetic["input"] as! String)
    let entry = (Self.synthetic["types"] as! [String: [String: String]])[name]!
    let all = base64Bytes(entry["quantized"]!), ggml = base64Floats(entry["dots"]!)
    let x = base64Floats(Self.activation["input"]!)
    let act = base64Bytes(Self.activation["q8_K"]!)
    #expect(quantized(.q8_K, x) == act)
    let rowBytes = type.rowBytes(cols)!
    let rowsBytes = (0..<rows).map { Array(all[$0 * rowBytes..<($0 + 1) * rowBytes]) }
    let ours = dotRows(type, rowsBytes, stride: rowBytes + 3, act, cols: cols)
    let tolerance: [GGMLType: Double] = [.q2_K: 0.4, .q3_K: 0.15, .q4_K: 0.15, .q5_K: 0.13, .q6_K: 0.04]
    let aq = dequantized(.q8_K, act, count: cols)
    for r in 0..<rows {
      let bound = 1e-5 * kMagnitude(type, rowsBytes[r], act, cols: cols)
      let reference = dotReference(type, rowsBytes[r], act, cols: cols)
      let w = dequantized(type, rowsBytes[r], count: cols)
      let exact = floatDot(w, aq)
      #expect(abs(Double(ours[r]) - Double(reference)) <= bound, "\(name) row \(r): ours \(ours[r]) reference \(reference)")
      #expect(abs(Double(ours[r]) - Double(ggml[r])) <= bound, "\(name) row \(r): ours \(ours[r]) llama.cpp \(ggml[r])")
      #expect(abs(Double(ours[r]) - exact) <= bound, "\(name) row \(r): ours \(ours[r]) dequantized float dot \(exact)")
      let xr = Array(input[r * cols..<(r + 1) * cols])
      let unquantized = floatDot(xr, x)
      let scale = zip(xr, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
      #expect(abs(Double(ours[r]) - unquantized) <= tolerance[type]! * scale,
              "\(name) row \(r): ours \(ours[r]) float \(unquantized) error \(abs(Double(ours[r]) - unquantized) / scale)")
    }
  }

  /// Rows of the real Gemma 3 270M file (q4_K, q6_K and q5_0), as stored in
  /// the fixture: dequantization equals gguf-py's bit for bit, and the K
  /// rows' dot with a q8_K activation agrees with llama.cpp's vec_dot.
  @Test func gemmaBlocksMatchGgufAndLlamaCpp() {
    for (tensor, value) in Self.json["gemma"] as! [String: [String: Any]] {
      let type = Self.typesByName[value["type"] as! String]!
      let cols = value["cols"] as! Int, rows = (value["rows"] as! [Int]).count
      let bytes = base64Bytes(value["quantized"] as! String)
      let expected = base64Floats(value["dequantized"] as! String)
      #expect(bitsEqual(dequantized(type, bytes, count: rows * cols), expected), "dequantize \(tensor)")
      #expect(bitsEqual(dequantized(type, bytes, count: rows * cols, reference: true), expected), "dequantizeReference \(tensor)")
      guard let dotsB64 = value["dots"] as? String else { continue }
      let ggml = base64Floats(dotsB64)
      let x = base64Floats(value["activation"] as! String)
      let act = base64Bytes(value["q8_K"] as! String)
      #expect(quantized(.q8_K, x) == act, "q8_K activation for \(tensor)")
      let rowBytes = type.rowBytes(cols)!
      let rowsBytes = (0..<rows).map { Array(bytes[$0 * rowBytes..<($0 + 1) * rowBytes]) }
      let ours = dotRows(type, rowsBytes, stride: rowBytes, act, cols: cols)
      for r in 0..<rows {
        let bound = 1e-5 * kMagnitude(type, rowsBytes[r], act, cols: cols)
        #expect(abs(Double(ours[r]) - Double(ggml[r])) <= bound, "\(tensor) row \(r): ours \(ours[r]) llama.cpp \(ggml[r])")
      }
    }
  }
}

@Suite struct KQuantKernelTests {
  @Test(arguments: kWeightTypes + [.q8_K])
  func simdDequantizeMatchesReference(_ type: GGMLType) {
    var rng = SeededRandom(21)
    for blocks in [1, 2, 5] {
      let bytes = type == .q8_K ? quantized(.q8_K, (0..<256 * blocks).map { _ in rng.gaussian(3) }) : randomKBlocks(type, blocks: blocks, &rng)
      let count = 256 * blocks
      #expect(bitsEqual(dequantized(type, bytes, count: count), dequantized(type, bytes, count: count, reference: true)))
    }
  }

  /// Random blocks (every code and scale pattern) and quantized rows, at
  /// widths from one super-block to several prepared chunks (more than
  /// `KPrepared.maxBlocks` super-blocks), at unaligned addresses.
  @Test(arguments: kWeightTypes)
  func simdDotMatchesReference(_ type: GGMLType) {
    var rng = SeededRandom(22 &+ UInt64(type.rawValue))
    for cols in [256, 512, 768, 1024, 2048, 5376, 6144, 11264] {
      let rows = 5
      let rowBytes = type.rowBytes(cols)!
      let weightRows = (0..<rows).map { r -> [UInt8] in
        r % 2 == 0 ? randomKBlocks(type, blocks: cols / 256, &rng)
                   : quantized(type, (0..<cols).map { _ in rng.gaussian(0.05) }, reference: true)
      }
      var x = (0..<cols).map { _ in rng.gaussian(2) }
      x[3] = -200  // codes of -127 and large positive ones
      let act = quantized(.q8_K, x)
      let simd = dotRows(type, weightRows, stride: rowBytes + 7, act, cols: cols)
      for r in 0..<rows {
        let reference = dotReference(type, weightRows[r], act, cols: cols)
        let bound = 1e-5 * kMagnitude(type, weightRows[r], act, cols: cols)
        #expect(abs(Double(simd[r]) - Double(reference)) <= bound, "\(type.name) cols \(cols) row \(r): simd \(simd[r]) reference \(reference)")
      }
    }
  }

  /// A code of -128 (never made by `quantize`) is still multiplied exactly.
  @Test(arguments: kWeightTypes)
  func extremeActivationCodes(_ type: GGMLType) {
    var rng = SeededRandom(23)
    let row = randomKBlocks(type, blocks: 2, &rng)
    var act = quantized(.q8_K, (0..<512).map { _ in rng.gaussian(1) })
    for b in 0..<2 {
      for j in 0..<256 { act[292 * b + 4 + j] = UInt8(bitPattern: j % 3 == 0 ? -128 : (j % 3 == 1 ? 127 : -127)) }
      for s in 0..<16 {
        let sum = (0..<16).reduce(0) { $0 + Int(Int8(bitPattern: act[292 * b + 4 + 16 * s + $1])) }
        let v = UInt16(bitPattern: Int16(sum))
        act[292 * b + 260 + 2 * s] = UInt8(v & 0xFF)
        act[292 * b + 261 + 2 * s] = UInt8(v >> 8)
      }
    }
    let simd = dotRows(type, [row], stride: row.count, act, cols: 512)[0]
    let reference = dotReference(type, row, act, cols: 512)
    #expect(abs(Double(simd - reference)) <= 1e-5 * kMagnitude(type, row, act, cols: 512))
  }

  @Test(arguments: kWeightTypes)
  func preparedPathMatchesDotRows(_ type: GGMLType) {
    var rng = SeededRandom(24)
    for cols in [256, 1024, 2048] {
      let rows = 3
      let weightRows = (0..<rows).map { _ in randomKBlocks(type, blocks: cols / 256, &rng) }
      let act = quantized(.q8_K, (0..<cols).map { _ in rng.gaussian(1) })
      let expected = dotRows(type, weightRows, stride: type.rowBytes(cols)!, act, cols: cols)
      var prepared = [UInt8](repeating: 0, count: QuantKernels.preparedActivationBytes(type, cols: cols) + 1)
      var out = [Float](repeating: .nan, count: rows)
      let flat = weightRows.flatMap { $0 }
      act.withUnsafeBytes { a in
        prepared.withUnsafeMutableBytes { QuantKernels.prepareActivation(type, a.baseAddress!, cols: cols, into: $0.baseAddress! + 1) }
      }
      flat.withUnsafeBytes { w in
        prepared.withUnsafeBytes { p in
          out.withUnsafeMutableBufferPointer { o in
            QuantKernels.dotRowsPrepared(type, weights: w.baseAddress!, rowStride: type.rowBytes(cols)!, rows: rows,
                                         prepared: p.baseAddress! + 1, cols: cols, out: o.baseAddress!)
          }
        }
      }
      #expect(bitsEqual(out, expected), "\(type.name) cols \(cols)")
    }
  }

  /// MatMul.multiply (one activation row and a batch) on K-quant weights
  /// gives what dotRows gives.
  @Test(arguments: [GGMLType.q4_K, .q6_K])
  func matMulHandlesKQuants(_ type: GGMLType) throws {
    var rng = SeededRandom(25)
    let rows = 40, cols = 1024, batch = 3
    let weights = quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: true)
    let input = (0..<batch * cols).map { _ in rng.gaussian(1) }
    let pool = try ThreadPool(threadCount: 2)
    let scratch = try MatMulScratch(maxCols: cols, maxBatch: batch)
    var output = [Float](repeating: .nan, count: batch * rows)
    weights.withUnsafeBytes { w in
      let matrix = WeightMatrix(type: type, data: w.baseAddress!, rows: rows, cols: cols, rowStride: type.rowBytes(cols)!)
      input.withUnsafeBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
          MatMul.multiply(matrix, input: i.baseAddress!, batch: batch, output: o.baseAddress!, outputStride: rows, scratch: scratch, pool: pool)
        }
      }
    }
    let rowBytes = type.rowBytes(cols)!
    let weightRows = (0..<rows).map { Array(weights[$0 * rowBytes..<($0 + 1) * rowBytes]) }
    for t in 0..<batch {
      let act = quantized(.q8_K, Array(input[t * cols..<(t + 1) * cols]))
      let expected = dotRows(type, weightRows, stride: rowBytes, act, cols: cols)
      #expect(bitsEqual(Array(output[t * rows..<(t + 1) * rows]), expected), "\(type.name) batch row \(t)")
    }
  }

  /// On Gaussian weights and activations the quantized dot stays close to
  /// the float dot. Measured worst relative error (of Σ|w_i x_i|, 16 rows of
  /// 2048): q2_K 0.024, q3_K 0.011, q4_K 0.0036, q5_K 0.0021, q6_K 0.0013;
  /// bounds are about 1.5 times that.
  @Test(arguments: kWeightTypes)
  func quantizedDotIsCloseToFloatDot(_ type: GGMLType) {
    var rng = SeededRandom(27)
    let cols = 2048, rows = 16
    let w = (0..<rows).map { _ in (0..<cols).map { _ in rng.gaussian(0.05) } }
    let x = (0..<cols).map { _ in rng.gaussian(1) }
    let out = dotRows(type, w.map { quantized(type, $0, reference: true) }, stride: type.rowBytes(cols)!, quantized(.q8_K, x), cols: cols)
    let tolerance: [GGMLType: Double] = [.q2_K: 0.035, .q3_K: 0.017, .q4_K: 0.0055, .q5_K: 0.0031, .q6_K: 0.002]
    var worst = 0.0
    for r in 0..<rows {
      let exact = floatDot(w[r], x)
      let scale = zip(w[r], x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
      worst = max(worst, abs(Double(out[r]) - exact) / scale)
    }
    #expect(worst <= tolerance[type]!, "\(type.name): \(worst)")
  }

  @Test func nonFiniteAndEmptyInputsDoNotTrap() {
    var x = [Float](repeating: 1, count: 512)
    x[3] = .nan
    x[300] = .infinity
    x[301] = -.infinity
    for type in kWeightTypes + [.q8_K] {
      _ = quantized(type, x)
      _ = quantized(type, [Float](repeating: 0, count: 256))
      _ = quantized(type, [Float](repeating: 1e-30, count: 256))
    }
    #expect(quantized(.q8_K, [Float](repeating: 0, count: 256)).allSatisfy { $0 == 0 })
  }
}

// MARK: - The real model

@Suite struct KQuantGemmaTests {
  /// dotRows on real q4_K / q6_K tensors of Gemma 3 270M agrees with the
  /// float dot product of the dequantized row and activation.
  @Test func gemmaTensorsDotMatchesDequantizedFloatDot() throws {
    let f = try GGUFFile.open(path: try TestPaths.model(TestPaths.gemma3Name))
    var rng = SeededRandom(26)
    for name in ["blk.0.ffn_down.weight", "blk.0.attn_output.weight", "blk.5.ffn_down.weight", "blk.17.attn_output.weight"] {
      let t = try #require(f.tensor(named: name))
      #expect(t.type == .q4_K || t.type == .q6_K, "\(name) is \(t.type.name)")
      let cols = Int(t.dims[0]), rows = Int(t.dims[1])
      let rowBytes = t.type.rowBytes(cols)!
      let data = f.tensorData(t)
      let x = (0..<cols).map { _ in rng.gaussian(1) }
      let act = quantized(.q8_K, x)
      let aq = dequantized(.q8_K, act, count: cols)
      let picks = [0, 1, rows / 2, rows - 1]
      var out = [Float](repeating: .nan, count: rows)
      act.withUnsafeBytes { a in
        out.withUnsafeMutableBufferPointer { o in
          QuantKernels.dotRows(t.type, weights: data, rowStride: rowBytes, rows: rows, activation: a.baseAddress!, cols: cols, out: o.baseAddress!)
        }
      }
      for r in picks {
        let row = [UInt8](UnsafeRawBufferPointer(start: data + r * rowBytes, count: rowBytes))
        let w = dequantized(t.type, row, count: cols)
        let exact = floatDot(w, aq)
        let bound = 1e-5 * kMagnitude(t.type, row, act, cols: cols)
        #expect(abs(Double(out[r]) - exact) <= bound, "\(name) row \(r): dotRows \(out[r]) float \(exact)")
        // And the embedding-style row lookup.
        var viaMatrix = [Float](repeating: .nan, count: cols)
        viaMatrix.withUnsafeMutableBufferPointer {
          WeightMatrix(type: t.type, data: data, rows: rows, cols: cols, rowStride: rowBytes).dequantizeRow(r, into: $0.baseAddress!)
        }
        #expect(bitsEqual(viaMatrix, w))
      }
    }
  }
}

/// Single-thread throughput of the K-quant row kernels on Gemma-sized
/// matrices (not a timed assertion; release builds only):
///   swift test -c release -Xswiftc -enable-testing --filter KQuantBenchmarkTests
@Suite struct KQuantBenchmarkTests {
  @Test func dotRowsThroughput() {
    for (type, rows, cols) in [(GGMLType.q4_K, 640, 1024), (.q6_K, 640, 2048), (.q4_K, 640, 2048), (.q4_K, 1536, 1024),
                               (.q6_K, 1536, 1024), (.q5_K, 1536, 1024), (.q3_K, 1536, 1024), (.q2_K, 1536, 1024),
                               (.q8_0, 1536, 1024), (.q4_0, 1536, 1024)] {
      let r = QuantBenchmarkTests.measure(type, rows: rows, cols: cols)
      print("dotRows \(type.name) \(rows)x\(cols): \(String(format: "%.2f", r.gbPerSecond)) GB/s of weights (checksum \(r.checksum))")
      #expect(r.checksum.isFinite)
    }
  }

  /// The same kernels on 64 MiB of random blocks (more than the caches
  /// hold), so the weights stream from memory as in decoding; q8_0 and f32
  /// show what this machine's memory gives one thread.
  @Test func dotRowsStreamingThroughput() {
    var rng = SeededRandom(31)
    let cols = 4096
    for type in [GGMLType.q4_K, .q6_K, .q8_0, .f32] {
      let rowBytes = type.rowBytes(cols)!
      let rows = (64 << 20) / rowBytes
      let weights: [UInt8]
      if kWeightTypes.contains(type) {
        weights = randomKBlocks(type, blocks: rows * cols / 256, &rng)
      } else {
        weights = quantized(type, (0..<cols).map { _ in rng.gaussian(0.05) }).withUnsafeBytes { row in
          [UInt8]((0..<rows).lazy.flatMap { _ in row })
        }
      }
      let act = quantized(QuantKernels.activationType(for: type), (0..<cols).map { _ in rng.gaussian(1) })
      var out = [Float](repeating: 0, count: rows)
      var best = Double.infinity
      let clock = ContinuousClock()
      weights.withUnsafeBytes { w in
        act.withUnsafeBytes { a in
          out.withUnsafeMutableBufferPointer { o in
            for _ in 0..<5 {
              let start = clock.now
              QuantKernels.dotRows(type, weights: w.baseAddress!, rowStride: rowBytes, rows: rows,
                                   activation: a.baseAddress!, cols: cols, out: o.baseAddress!)
              let e = clock.now - start
              best = min(best, Double(e.components.seconds) + Double(e.components.attoseconds) * 1e-18)
            }
          }
        }
      }
      print("dotRows \(type.name) \(rows)x\(cols) (streaming 64 MiB): \(String(format: "%.2f", Double(weights.count) / best / 1e9)) GB/s")
      #expect(out.allSatisfy { $0.isFinite })
    }
  }
}
