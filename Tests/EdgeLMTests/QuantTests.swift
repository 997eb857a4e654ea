import Foundation
import Testing
@testable import EdgeLM

// MARK: - Helpers

/// Deterministic generator (SplitMix64) so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  init(_ seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Roughly normal (sum of uniforms), scaled.
  mutating func gaussian(_ scale: Float = 1) -> Float {
    var s: Float = 0
    for _ in 0..<4 { s += Float.random(in: -1...1, using: &self) }
    return s * scale
  }
}

func hexBytes(_ hex: String) -> [UInt8] {
  var out = [UInt8]()
  out.reserveCapacity(hex.utf8.count / 2)
  var high: UInt8 = 0
  for (i, c) in hex.utf8.enumerated() {
    let v: UInt8 = c <= 57 ? c - 48 : (c | 0x20) - 87
    if i % 2 == 0 { high = v } else { out.append(high << 4 | v) }
  }
  return out
}

func floatsFromHex(_ hex: String) -> [Float] {
  let bytes = hexBytes(hex)
  return (0..<bytes.count / 4).map { i in
    Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
  }
}

let allWeightTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0]

func quantized(_ type: GGMLType, _ values: [Float], reference: Bool = false) -> [UInt8] {
  var bytes = [UInt8](repeating: 0, count: type.rowBytes(values.count)!)
  values.withUnsafeBufferPointer { src in
    bytes.withUnsafeMutableBytes { dst in
      if reference {
        QuantKernels.quantizeReference(type, src.baseAddress!, dst.baseAddress!, count: values.count)
      } else {
        QuantKernels.quantize(type, src.baseAddress!, dst.baseAddress!, count: values.count)
      }
    }
  }
  return bytes
}

func dequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int, reference: Bool = false) -> [Float] {
  var out = [Float](repeating: .nan, count: count)
  bytes.withUnsafeBytes { src in
    out.withUnsafeMutableBufferPointer { dst in
      if reference {
        QuantKernels.dequantizeReference(type, src.baseAddress!, dst.baseAddress!, count: count)
      } else {
        QuantKernels.dequantize(type, src.baseAddress!, dst.baseAddress!, count: count)
      }
    }
  }
  return out
}

func bitsEqual(_ a: [Float], _ b: [Float]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Random blocks of `type` covering every code value: random bytes with the
/// scale fields replaced by finite binary16 values.
func randomBlocks(_ type: GGMLType, count: Int, _ rng: inout SeededRandom) -> [UInt8] {
  var bytes = (0..<type.rowBytes(count)!).map { _ in UInt8.random(in: 0...255, using: &rng) }
  func half(_ v: Float) -> [UInt8] { let h = Half.fromFloat(v); return [UInt8(h & 0xFF), UInt8(h >> 8)] }
  switch type {
  case .f32:
    for i in 0..<count { withUnsafeBytes(of: rng.gaussian()) { bytes.replaceSubrange(4 * i..<4 * i + 4, with: $0) } }
  case .f16:
    for i in 0..<count { bytes.replaceSubrange(2 * i..<2 * i + 2, with: half(rng.gaussian())) }
  case .bf16:
    for i in 0..<count { let h = Half.bf16FromFloat(rng.gaussian()); bytes.replaceSubrange(2 * i..<2 * i + 2, with: [UInt8(h & 0xFF), UInt8(h >> 8)]) }
  default:
    let hasMin = type == .q4_1 || type == .q5_1 || type == .q8_1
    for b in 0..<count / 32 {
      let o = b * type.blockBytes
      bytes.replaceSubrange(o..<o + 2, with: half(Float.random(in: 0.001...0.1, using: &rng)))
      if hasMin { bytes.replaceSubrange(o + 2..<o + 4, with: half(Float.random(in: -1...1, using: &rng))) }
    }
  }
  return bytes
}

/// The activation in the format `dotRows` expects for `weightType`.
func activation(for weightType: GGMLType, _ x: [Float]) -> [UInt8] {
  quantized(QuantKernels.activationType(for: weightType), x)
}

/// Runs dotRows over `rows` rows stored `stride` bytes apart, starting one
/// byte into the buffer so that nothing is aligned.
func dotRows(_ type: GGMLType, _ rowsBytes: [[UInt8]], stride: Int, _ act: [UInt8], cols: Int) -> [Float] {
  var buffer = [UInt8](repeating: 0xEE, count: 1 + stride * rowsBytes.count)
  for (r, row) in rowsBytes.enumerated() { buffer.replaceSubrange(1 + r * stride..<1 + r * stride + row.count, with: row) }
  var out = [Float](repeating: .nan, count: rowsBytes.count)
  buffer.withUnsafeBytes { w in
    act.withUnsafeBytes { a in
      out.withUnsafeMutableBufferPointer { o in
        QuantKernels.dotRows(type, weights: w.baseAddress! + 1, rowStride: stride, rows: rowsBytes.count,
                             activation: a.baseAddress!, cols: cols, out: o.baseAddress!)
      }
    }
  }
  return out
}

func dotReference(_ type: GGMLType, _ row: [UInt8], _ act: [UInt8], cols: Int) -> Float {
  row.withUnsafeBytes { w in act.withUnsafeBytes { a in QuantKernels.dotReference(type, w.baseAddress!, a.baseAddress!, cols: cols) } }
}

/// Sum of |terms| of the dot product as ggml computes it: |w_i * a_i| over
/// dequantized values plus |m_x * s_y| per block for the _1 types.
func magnitude(_ type: GGMLType, _ row: [UInt8], _ act: [UInt8], cols: Int) -> Double {
  let actType = QuantKernels.activationType(for: type)
  let w = dequantized(type, row, count: cols, reference: true)
  let a = dequantized(actType, act, count: cols, reference: true)
  var sum = zip(w, a).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
  if type == .q4_1 || type == .q5_1 {
    for b in 0..<cols / 32 {
      let m = Half.toFloat(UInt16(row[b * type.blockBytes + 2]) | UInt16(row[b * type.blockBytes + 3]) << 8)
      let s = Half.toFloat(UInt16(act[b * 36 + 2]) | UInt16(act[b * 36 + 3]) << 8)
      sum += abs(Double(m) * Double(s))
    }
  }
  return sum
}

// MARK: - Half

@Suite struct QuantHalfTests {
  @Test func binary16ToFloatIsExactForEveryPattern() {
    for bits in 0...UInt16.max {
      let ours = Half.toFloat(bits), hardware = Float(Float16(bitPattern: bits))
      if hardware.isNaN {
        #expect(ours.isNaN)
      } else if ours.bitPattern != hardware.bitPattern {
        Issue.record("toFloat(\(String(bits, radix: 16))) = \(ours), expected \(hardware)")
        return
      }
      if !hardware.isNaN && Half.fromFloat(ours) != bits {
        Issue.record("fromFloat(toFloat(\(String(bits, radix: 16)))) = \(String(Half.fromFloat(ours), radix: 16))")
        return
      }
    }
  }

  @Test func floatToBinary16RoundsToNearestEven() {
    var rng = SeededRandom(1)
    var specials: [Float] = [0, -0.0, 65504, 65519.99, 65520, 1e9, -1e9, .infinity, -.infinity,
                             5.960464477539063e-8, 2.980232238769531e-8, 2.9802326e-8, 1e-10, 6.1035156e-05]
    // Exact ties between adjacent binary16 values.
    specials += [1 + 1.0 / 2048, 1 + 3.0 / 2048, -(1 + 1.0 / 2048), 2048 + 1, 2048 + 3]
    for _ in 0..<200_000 { specials.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))) }
    for x in specials where !x.isNaN {
      let expected = Float16(x).bitPattern
      if Half.fromFloat(x) != expected {
        Issue.record("fromFloat(\(x)) = \(String(Half.fromFloat(x), radix: 16)), expected \(String(expected, radix: 16))")
        return
      }
    }
    #expect(Half.fromFloat(.nan) & 0x7FFF == 0x7E00)
    #expect(Half.fromFloat(-Float.nan) == 0xFE00)
  }

  @Test func bfloat16MatchesGgml() {
    #expect(Half.bf16FromFloat(1) == 0x3F80)
    #expect(Half.bf16FromFloat(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
    #expect(Half.bf16FromFloat(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
    #expect(Half.bf16FromFloat(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
    #expect(Half.bf16FromFloat(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)  // signalling NaN made quiet
    #expect(Half.bf16FromFloat(Float(bitPattern: 0xFFC1_2345)) == 0xFFC1)
    #expect(Half.bf16FromFloat(.infinity) == 0x7F80)
    #expect(Half.bf16FromFloat(Float(bitPattern: 0x7F7F_FFFF)) == 0x7F80)  // rounds up to infinity
    var rng = SeededRandom(2)
    for _ in 0..<100_000 {
      let bits = UInt32.random(in: 0...UInt32.max, using: &rng)
      let h = Half.bf16FromFloat(Float(bitPattern: bits))
      if Float(bitPattern: bits).isNaN { continue }
      let expected = UInt16(truncatingIfNeeded: (UInt64(bits) + 0x7FFF + UInt64((bits >> 16) & 1)) >> 16)
      #expect(h == expected)
      #expect(Half.bf16ToFloat(h).bitPattern == UInt32(h) << 16)
    }
  }
}

// MARK: - Fixtures from gguf-py

@Suite struct QuantFixtureTests {
  struct Fixture {
    let input: [Float]
    let types: [String: (quantized: [UInt8], dequantized: [Float])]
  }

  static func load() throws -> Fixture {
    let json = try JSONSerialization.jsonObject(with: try TestPaths.fixture("quant_blocks.json")) as! [String: Any]
    var types: [String: (quantized: [UInt8], dequantized: [Float])] = [:]
    for (name, value) in json["types"] as! [String: [String: String]] {
      types[name] = (hexBytes(value["quantized"]!), floatsFromHex(value["dequantized"]!))
    }
    return Fixture(input: floatsFromHex(json["input"] as! String), types: types)
  }

  static let typesByName: [String: GGMLType] = [
    "q4_0": .q4_0, "q4_1": .q4_1, "q5_0": .q5_0, "q5_1": .q5_1, "q8_0": .q8_0, "f16": .f16, "bf16": .bf16,
  ]

  @Test func referenceQuantizersAreByteIdenticalToGguf() throws {
    let fixture = try Self.load()
    #expect(fixture.input.count == 1024)
    #expect(fixture.types.count == 7)
    for (name, expected) in fixture.types {
      let type = Self.typesByName[name]!
      #expect(quantized(type, fixture.input, reference: true) == expected.quantized, "quantizeReference(\(name))")
    }
  }

  /// `quantize` is the reference for every type but q8_0, where it follows
  /// llama.cpp's AVX2 activation quantizer. Known difference from gguf (ggml's
  /// quantize_row_q8_0_ref): id = 127/amax instead of 1/(amax/127) and round
  /// half to even instead of away from zero. The scales are identical; a code
  /// may differ by exactly 1 (none do on this input; about 1 in 10^6 on
  /// random data, see QuantActivationTests), so allow at most 4 of 1024.
  @Test func activationQuantizerMatchesGgufUpToKnownRounding() throws {
    let fixture = try Self.load()
    for (name, expected) in fixture.types where name != "q8_0" {
      #expect(quantized(Self.typesByName[name]!, fixture.input) == expected.quantized, "quantize(\(name))")
    }
    let ours = quantized(.q8_0, fixture.input), theirs = fixture.types["q8_0"]!.quantized
    #expect(ours.count == theirs.count)
    var differing = 0
    for b in 0..<ours.count / 34 {
      #expect(ours[34 * b] == theirs[34 * b] && ours[34 * b + 1] == theirs[34 * b + 1], "q8_0 scale of block \(b)")
      for j in 2..<34 {
        let a = Int(Int8(bitPattern: ours[34 * b + j])), c = Int(Int8(bitPattern: theirs[34 * b + j]))
        if a != c {
          differing += 1
          #expect(abs(a - c) == 1, "q8_0 block \(b) code \(j - 2): \(a) vs gguf \(c)")
        }
      }
    }
    #expect(differing <= 4, "\(differing) q8_0 codes differ from gguf's reference")
  }

  /// quant_llamacpp.json comes from llama.cpp's own libggml-cpu (AVX2 build):
  /// our activation quantizer must produce its q8_0/q8_1 blocks byte for
  /// byte, and our dot products must agree with its ggml_vec_dot_*.
  @Test func activationQuantizerAndDotsMatchLlamaCpp() throws {
    let json = try JSONSerialization.jsonObject(with: try TestPaths.fixture("quant_llamacpp.json")) as! [String: Any]
    let x = floatsFromHex(json["activation"] as! String)
    let blocks = json["activation_blocks"] as! [String: String]
    #expect(quantized(.q8_0, x) == hexBytes(blocks["q8_0"]!), "quantize(q8_0) vs llama.cpp quantize_row_q8_0")
    #expect(quantized(.q8_1, x) == hexBytes(blocks["q8_1"]!), "quantize(q8_1) vs llama.cpp quantize_row_q8_1")

    let fixture = try Self.load()
    let cols = x.count
    for (name, dotsHex) in json["dots"] as! [String: String] {
      let type = Self.typesByName[name]!
      let ggml = floatsFromHex(dotsHex)
      let all = fixture.types[name]!.quantized
      let rowBytes = type.rowBytes(cols)!
      let rows = (0..<ggml.count).map { Array(all[$0 * rowBytes..<($0 + 1) * rowBytes]) }
      let act = hexBytes(blocks[QuantKernels.activationType(for: type).name]!)
      let ours = dotRows(type, rows, stride: rowBytes, act, cols: cols)
      for r in 0..<rows.count {
        let bound = 1e-5 * magnitude(type, rows[r], act, cols: cols)
        #expect(abs(Double(ours[r]) - Double(ggml[r])) <= bound, "\(name) row \(r): ours \(ours[r]) llama.cpp \(ggml[r])")
      }
    }
  }

  @Test func dequantizeIsBitIdenticalToGguf() throws {
    let fixture = try Self.load()
    for (name, expected) in fixture.types {
      let type = Self.typesByName[name]!
      #expect(bitsEqual(dequantized(type, expected.quantized, count: 1024), expected.dequantized), "dequantize(\(name))")
      #expect(bitsEqual(dequantized(type, expected.quantized, count: 1024, reference: true), expected.dequantized),
              "dequantizeReference(\(name))")
    }
  }
}

// MARK: - Kernels against the scalar references

@Suite struct QuantKernelTests {
  @Test func typeTables() {
    #expect(QuantKernels.activationType(for: .q4_0) == .q8_0)
    #expect(QuantKernels.activationType(for: .q5_0) == .q8_0)
    #expect(QuantKernels.activationType(for: .q8_0) == .q8_0)
    #expect(QuantKernels.activationType(for: .q4_1) == .q8_1)
    #expect(QuantKernels.activationType(for: .q5_1) == .q8_1)
    #expect(QuantKernels.activationType(for: .f16) == .f16)
    #expect(QuantKernels.activationType(for: .bf16) == .bf16)
    #expect(QuantKernels.activationType(for: .f32) == .f32)
    for type in allWeightTypes { #expect(QuantKernels.isSupported(type)) }
    #expect(!QuantKernels.isSupported(.q8_1))
    #expect(!QuantKernels.isSupported(.q8_K))
  }

  @Test(arguments: allWeightTypes + [.q8_1])
  func simdDequantizeMatchesReference(_ type: GGMLType) {
    var rng = SeededRandom(3)
    for count in [32, 64, 288, 1024] {
      let bytes = randomBlocks(type, count: count, &rng)
      #expect(bitsEqual(dequantized(type, bytes, count: count), dequantized(type, bytes, count: count, reference: true)))
    }
    // Realistic blocks too (from the quantizer).
    let x = (0..<512).map { _ in rng.gaussian(0.3) }
    let bytes = quantized(type, x)
    #expect(bitsEqual(dequantized(type, bytes, count: 512), dequantized(type, bytes, count: 512, reference: true)))
  }

  @Test(arguments: allWeightTypes)
  func simdDotMatchesReference(_ type: GGMLType) {
    var rng = SeededRandom(4 &+ UInt64(type.rawValue))
    // Column counts: single block (odd pair tail), pairs, not multiples of 256,
    // the SmolLM2 sizes, and sizes that need several activation chunks.
    for cols in [32, 64, 96, 160, 544, 576, 1536, 2080, 6176] {
      let rows = 7
      let rowBytes = type.rowBytes(cols)!
      let weightRows = (0..<rows).map { r -> [UInt8] in
        r % 2 == 0 ? randomBlocks(type, count: cols, &rng)
                   : quantized(type, (0..<cols).map { _ in rng.gaussian(0.05) }, reference: true)
      }
      let act = activation(for: type, (0..<cols).map { _ in rng.gaussian(2) })
      let simd = dotRows(type, weightRows, stride: rowBytes + 13, act, cols: cols)
      for r in 0..<rows {
        let reference = dotReference(type, weightRows[r], act, cols: cols)
        let bound = 1e-5 * magnitude(type, weightRows[r], act, cols: cols)
        let error = abs(Double(simd[r]) - Double(reference))
        #expect(error <= bound, "\(type.name) cols \(cols) row \(r): simd \(simd[r]) reference \(reference) error \(error) bound \(bound)")
      }
    }
  }

  /// Sanity: the quantized dot product stays near the float dot product of
  /// the values before quantization.
  @Test(arguments: allWeightTypes)
  func quantizedDotIsCloseToFloatDot(_ type: GGMLType) {
    var rng = SeededRandom(5)
    let cols = 1536, rows = 16
    let w = (0..<rows).map { _ in (0..<cols).map { _ in rng.gaussian(0.05) } }
    let x = (0..<cols).map { _ in rng.gaussian(1) }
    let out = dotRows(type, w.map { quantized(type, $0, reference: true) }, stride: type.rowBytes(cols)!, activation(for: type, x), cols: cols)
    let tolerance: Double
    switch type {
    case .f32: tolerance = 1e-6
    case .f16, .bf16, .q8_0: tolerance = 0.01
    default: tolerance = 0.05
    }
    for r in 0..<rows {
      let exact = zip(w[r], x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let scale = zip(w[r], x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
      #expect(abs(Double(out[r]) - exact) <= tolerance * scale, "\(type.name) row \(r): \(out[r]) vs \(exact)")
    }
  }

  /// prepareActivation + dotRowsPrepared (into a caller buffer at an odd
  /// address) gives exactly what dotRows gives.
  @Test(arguments: allWeightTypes)
  func preparedPathMatchesDotRows(_ type: GGMLType) {
    var rng = SeededRandom(8)
    for cols in [32, 96, 576, 1536] {
      let rows = 5
      let weightRows = (0..<rows).map { _ in randomBlocks(type, count: cols, &rng) }
      let act = activation(for: type, (0..<cols).map { _ in rng.gaussian(1) })
      let expected = dotRows(type, weightRows, stride: type.rowBytes(cols)!, act, cols: cols)
      let bytes = QuantKernels.preparedActivationBytes(type, cols: cols)
      #expect(bytes > 0)
      var prepared = [UInt8](repeating: 0, count: bytes + 1)
      var flat = [UInt8]()
      for row in weightRows { flat += row }
      var out = [Float](repeating: .nan, count: rows)
      act.withUnsafeBytes { a in
        prepared.withUnsafeMutableBytes { p in
          QuantKernels.prepareActivation(type, a.baseAddress!, cols: cols, into: p.baseAddress! + 1)
        }
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
    #expect(QuantKernels.preparedActivationBytes(.q8_K, cols: 256) == 0)
  }

  @Test func rowsAndColumnsEdgeCases() {
    // rows == 0 writes nothing; unsupported types write zeros.
    var out: [Float] = [42, 42]
    let w = [UInt8](repeating: 0, count: 64)
    w.withUnsafeBytes { wp in
      out.withUnsafeMutableBufferPointer { o in
        QuantKernels.dotRows(.q4_0, weights: wp.baseAddress!, rowStride: 18, rows: 0, activation: wp.baseAddress!, cols: 32, out: o.baseAddress!)
      }
    }
    #expect(out == [42, 42])
    w.withUnsafeBytes { wp in
      out.withUnsafeMutableBufferPointer { o in
        QuantKernels.dotRows(.q8_K, weights: wp.baseAddress!, rowStride: 0, rows: 2, activation: wp.baseAddress!, cols: 256, out: o.baseAddress!)
      }
    }
    #expect(out == [0, 0])
  }
}

// MARK: - Activation quantizer = llama.cpp's AVX2 quantize_row_q8_0 / q8_1

/// An independent scalar restatement of the AVX2 code: amax over the block,
/// d = amax / 127, id = 127 / amax (0 when amax is 0), codes =
/// round-half-even(x * id), s = fp16(d * sum(codes)).
func avx2QuantizeQ8(_ x: [Float], withSum: Bool) -> [UInt8] {
  var out = [UInt8]()
  for b in 0..<x.count / 32 {
    let block = x[32 * b..<32 * b + 32]
    let amax = block.map { abs($0) }.max()!
    let d = amax / 127
    let id: Float = amax != 0 ? 127 / amax : 0
    let codes = block.map { Int32(($0 * id).rounded(.toNearestOrEven)) }
    let h = Float16(d).bitPattern
    out += [UInt8(h & 0xFF), UInt8(h >> 8)]
    if withSum {
      let s = Float16(d * Float(codes.reduce(0, +))).bitPattern
      out += [UInt8(s & 0xFF), UInt8(s >> 8)]
    }
    out += codes.map { UInt8(bitPattern: Int8($0)) }
  }
  return out
}

@Suite struct QuantActivationTests {
  @Test(arguments: [GGMLType.q8_0, .q8_1])
  func matchesAVX2Semantics(_ type: GGMLType) {
    var rng = SeededRandom(6)
    var x = (0..<4096).map { _ in rng.gaussian(Float.random(in: 0.001...100, using: &rng)) }
    for j in 0..<32 { x[j] = 0 }  // zero block
    // Exact ties: amax 127 makes id 1, so x * id = x.
    let ties: [Float] = [127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, 126.5, -126.5] + [Float](repeating: 0.25, count: 22)
    x.replaceSubrange(32..<64, with: ties)
    let ours = quantized(type, x)
    #expect(ours == avx2QuantizeQ8(x, withSum: type == .q8_1))
    let offset = type == .q8_1 ? 36 + 4 : 34 + 2
    let tieCodes = (0..<10).map { Int8(bitPattern: ours[offset + $0]) }
    #expect(tieCodes == [127, 2, -2, 4, -4, 0, 0, 2, 126, -126])
  }

  /// The activation quantizer a build uses (with AVX2 built in, its
  /// intrinsics) gives the scalar emulation's bytes on finite input: zero
  /// blocks, subnormals, values near the largest float, random blocks.
  @Test func builtQuantizerMatchesScalarEmulation() {
    var rng = SeededRandom(9)
    var x = (0..<8192).map { _ in rng.gaussian(Float.random(in: 0.001...100, using: &rng)) }
    for j in 0..<32 { x[j] = 0 }
    for j in 32..<64 { x[j] = Float.leastNonzeroMagnitude * Float(j - 40) }
    for j in 64..<96 { x[j] = Float.greatestFiniteMagnitude / Float(j - 60) * (j % 2 == 0 ? 1 : -1) }
    for type in [GGMLType.q8_0, .q8_1] {
      var scalar = [UInt8](repeating: 0, count: type.rowBytes(x.count)!)
      x.withUnsafeBufferPointer { src in
        scalar.withUnsafeMutableBytes {
          quantizeActivationQ8Scalar(src.baseAddress!, $0.baseAddress!, blocks: x.count / 32, withSum: type == .q8_1)
        }
      }
      #expect(quantized(type, x) == scalar, "\(type.name)")
    }
  }

  /// On a large random input the AVX2-semantics quantizer and ggml's
  /// reference (byte-identical to gguf, see QuantFixtureTests) share every
  /// scale and differ in about one code per million, never by more than 1.
  @Test(arguments: [GGMLType.q8_0, .q8_1])
  func activationAndReferenceQuantizersDifferOnlyInRareTies(_ type: GGMLType) {
    var rng = SeededRandom(9)
    let blocks = 20_000
    var x = [Float]()
    x.reserveCapacity(32 * blocks)
    for _ in 0..<blocks {
      let scale = Float.random(in: 0.01...10, using: &rng)
      for _ in 0..<32 { x.append(rng.gaussian(scale)) }
    }
    let ours = quantized(type, x), reference = quantized(type, x, reference: true)
    let header = type == .q8_0 ? 2 : 4
    var differing = 0
    for b in 0..<blocks {
      let o = b * type.blockBytes
      #expect(ours[o] == reference[o] && ours[o + 1] == reference[o + 1], "d of block \(b)")
      for j in header..<type.blockBytes {
        let a = Int(Int8(bitPattern: ours[o + j])), c = Int(Int8(bitPattern: reference[o + j]))
        if a != c {
          differing += 1
          #expect(abs(a - c) == 1)
        }
      }
    }
    #expect(differing <= 32 * blocks / 10_000, "\(differing) of \(32 * blocks) codes differ")
  }

  @Test func referenceQ8RoundsHalfAwayFromZero() {
    let ties: [Float] = [127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5] + [Float](repeating: 0, count: 24)
    let bytes = quantized(.q8_0, ties, reference: true)
    #expect((0..<8).map { Int8(bitPattern: bytes[2 + $0]) } == [127, 3, -3, 4, -4, 1, -1, 2])
    let q81 = quantized(.q8_1, ties, reference: true)
    #expect(Half.toFloat(UInt16(q81[2]) | UInt16(q81[3]) << 8) == Float(127 + 3 - 3 + 4 - 4 + 1 - 1 + 2))
  }

  @Test func nonFiniteInputsDoNotTrap() {
    var x = [Float](repeating: 1, count: 64)
    x[3] = .nan
    x[40] = .infinity
    for type in allWeightTypes + [.q8_1] {
      _ = quantized(type, x)
      _ = quantized(type, x, reference: true)
    }
  }
}

@Suite struct QuantRobustnessTests {
  /// Negative or zero counts are ignored rather than trapping.
  @Test func nonPositiveCountsDoNothing() {
    var floats = [Float](repeating: 1, count: 64)
    var bytes = [UInt8](repeating: 0, count: 256)
    floats.withUnsafeMutableBufferPointer { f in
      bytes.withUnsafeMutableBytes { b in
        for type in allWeightTypes + [.q8_1] {
          for count in [-64, -1, 0] {
            QuantKernels.quantize(type, f.baseAddress!, b.baseAddress!, count: count)
            QuantKernels.quantizeReference(type, f.baseAddress!, b.baseAddress!, count: count)
            QuantKernels.dequantize(type, b.baseAddress!, f.baseAddress!, count: count)
            QuantKernels.dequantizeReference(type, b.baseAddress!, f.baseAddress!, count: count)
            #expect(QuantKernels.dotReference(type, b.baseAddress!, b.baseAddress!, cols: count) == 0)
            QuantKernels.dotRows(type, weights: b.baseAddress!, rowStride: 0, rows: 1, activation: b.baseAddress!, cols: count, out: f.baseAddress!)
            #expect(f[0] == 0)
            f[0] = 1
          }
        }
      }
    }
    #expect(bytes.allSatisfy { $0 == 0 })
  }
}

/// The type table and the kernel registry agree: every weight type of the
/// table has a kernel on this CPU and a portable one, nothing else has one,
/// and a type runs its own kernel family or the portable one.
@Suite struct KernelRegistryTests {
  @Test func everyWeightTypeHasItsOwnKernel() {
    for raw in UInt32(0)...64 {
      guard let type = GGMLType(rawValue: raw) else { continue }
      let weight = QuantKernels.isSupported(type)
      #expect((PortableKernels.kernel(for: type) != nil) == weight, "\(type.name): portable kernel")
      #expect((QuantKernels.kernel(type) != nil) == weight, "\(type.name): registry")
      if let set = QuantKernels.kernelSet(for: type) {
        #expect(set == .portable || set == QuantKernels.kernelSet, "\(type.name) runs on \(set.name)")
      }
    }
  }
}
