import Foundation
import Testing
@testable import EdgeLM

/// Tiny llama models with random weights, written in-process with the GGUF
/// writer in every supported weight type, run through the full forward pass
/// and compared with a plain reference implementation in this file (Float
/// math on the dequantized weights, one token at a time).
@Suite struct SyntheticModelTests {
  struct Shape {
    let dim = 64, heads = 4, kvHeads = 2, ffn = 128, layers = 2, vocab = 256
    let ropeBase: Float = 10000, eps: Float = 1e-5, context = 64
    var headDim: Int { dim / heads }
    var kvDim: Int { kvHeads * headDim }
  }

  /// Weights as floats (already rounded through the type under test) keyed by tensor name.
  struct Weights {
    var tensors: [String: [Float]] = [:]
  }

  static func randomFloats(_ n: Int, scale: Float, rng: inout RandomGenerator) -> [Float] {
    (0..<n).map { _ in (rng.nextUnit() * 2 - 1) * scale }
  }

  /// Writes a llama GGUF whose matrices are stored as `type`; returns its
  /// path and the floats the file really holds (dequantized).
  static func makeModel(_ type: GGMLType, tied: Bool) throws -> (String, Weights) {
    let s = Shape()
    var rng = RandomGenerator(seed: 42 &+ UInt64(type.rawValue))
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    w.add("llama.block_count", .uint32(UInt32(s.layers)))
    w.add("llama.context_length", .uint32(UInt32(s.context)))
    w.add("llama.embedding_length", .uint32(UInt32(s.dim)))
    w.add("llama.feed_forward_length", .uint32(UInt32(s.ffn)))
    w.add("llama.attention.head_count", .uint32(UInt32(s.heads)))
    w.add("llama.attention.head_count_kv", .uint32(UInt32(s.kvHeads)))
    w.add("llama.rope.freq_base", .float32(s.ropeBase))
    w.add("llama.attention.layer_norm_rms_epsilon", .float32(s.eps))
    w.add("tokenizer.ggml.model", .string("gpt2"))
    w.add("tokenizer.ggml.pre", .string("gpt-2"))
    w.add("tokenizer.ggml.tokens", .array(GGUFArray(elementType: .string, values: ByteLevel.utf8OfByte.map { .string($0) })))
    w.add("tokenizer.ggml.token_type", .array(GGUFArray(elementType: .int32, values: (0..<256).map { _ in .int32(1) })))
    w.add("tokenizer.ggml.merges", .array(GGUFArray(elementType: .string, values: [])))
    w.add("tokenizer.ggml.bos_token_id", .uint32(1))
    w.add("tokenizer.ggml.eos_token_id", .uint32(2))

    var weights = Weights()
    func add(_ name: String, _ dims: [Int], scale: Float, storedAs t: GGMLType) throws {
      let n = dims.reduce(1, *)
      let values = randomFloats(n, scale: scale, rng: &rng)
      var bytes = [UInt8](repeating: 0, count: t.rowBytes(n)!)
      bytes.withUnsafeMutableBytes { raw in
        values.withUnsafeBufferPointer { QuantKernels.quantize(t, $0.baseAddress!, raw.baseAddress!, count: n) }
      }
      var back = [Float](repeating: 0, count: n)
      bytes.withUnsafeBytes { raw in
        back.withUnsafeMutableBufferPointer { QuantKernels.dequantize(t, raw.baseAddress!, $0.baseAddress!, count: n) }
      }
      weights.tensors[name] = back
      try w.addTensor(name: name, type: t, dims: dims, data: bytes)
    }
    try add("token_embd.weight", [s.dim, s.vocab], scale: 1, storedAs: type)
    for l in 0..<s.layers {
      let p = "blk.\(l)."
      try add(p + "attn_norm.weight", [s.dim], scale: 1, storedAs: .f32)
      try add(p + "attn_q.weight", [s.dim, s.dim], scale: 0.25, storedAs: type)
      try add(p + "attn_k.weight", [s.dim, s.kvDim], scale: 0.25, storedAs: type)
      try add(p + "attn_v.weight", [s.dim, s.kvDim], scale: 0.25, storedAs: type)
      try add(p + "attn_output.weight", [s.dim, s.dim], scale: 0.25, storedAs: type)
      try add(p + "ffn_norm.weight", [s.dim], scale: 1, storedAs: .f32)
      try add(p + "ffn_gate.weight", [s.dim, s.ffn], scale: 0.25, storedAs: type)
      try add(p + "ffn_up.weight", [s.dim, s.ffn], scale: 0.25, storedAs: type)
      try add(p + "ffn_down.weight", [s.ffn, s.dim], scale: 0.2, storedAs: type)
    }
    try add("output_norm.weight", [s.dim], scale: 1, storedAs: .f32)
    if !tied { try add("output.weight", [s.dim, s.vocab], scale: 0.5, storedAs: type) }
    // Unique per call: several suites write the same type in parallel and
    // each deletes its file when done.
    let path = NSTemporaryDirectory() + "edgelm-synthetic-\(type.name)-\(tied ? "tied" : "untied")-\(UUID().uuidString).gguf"
    try w.write(to: path)
    return (path, weights)
  }

  /// The reference: llama, one position at a time, Float everywhere.
  static func referenceLogits(_ wt: Weights, tokens: [Int32], tied: Bool) -> [[Float]] {
    let s = Shape()
    let W = wt.tensors
    func matvec(_ m: [Float], _ x: [Float], rows: Int, cols: Int) -> [Float] {
      (0..<rows).map { r in (0..<cols).reduce(Float(0)) { $0 + m[r * cols + $1] * x[$1] } }
    }
    func rmsnorm(_ x: [Float], _ g: [Float]) -> [Float] {
      let ms = x.reduce(Float(0)) { $0 + $1 * $1 } / Float(x.count)
      let k = 1 / (ms + s.eps).squareRoot()
      return (0..<x.count).map { x[$0] * k * g[$0] }
    }
    func rope(_ v: inout [Float], heads: Int, pos: Int) {
      for h in 0..<heads {
        for i in stride(from: 0, to: s.headDim, by: 2) {
          let freq = pow(Double(s.ropeBase), -Double(i) / Double(s.headDim))
          let a = Double(pos) * freq
          let (c, sn) = (Float(cos(a)), Float(sin(a)))
          let x0 = v[h * s.headDim + i], x1 = v[h * s.headDim + i + 1]
          v[h * s.headDim + i] = x0 * c - x1 * sn
          v[h * s.headDim + i + 1] = x0 * sn + x1 * c
        }
      }
    }
    var keys = [[[Float]]](repeating: [], count: s.layers)
    var values = [[[Float]]](repeating: [], count: s.layers)
    var out: [[Float]] = []
    for (pos, t) in tokens.enumerated() {
      var x = Array(W["token_embd.weight"]![(Int(t) * s.dim)..<(Int(t) + 1) * s.dim])
      for l in 0..<s.layers {
        let p = "blk.\(l)."
        let xb = rmsnorm(x, W[p + "attn_norm.weight"]!)
        var q = matvec(W[p + "attn_q.weight"]!, xb, rows: s.dim, cols: s.dim)
        var k = matvec(W[p + "attn_k.weight"]!, xb, rows: s.kvDim, cols: s.dim)
        let v = matvec(W[p + "attn_v.weight"]!, xb, rows: s.kvDim, cols: s.dim)
        rope(&q, heads: s.heads, pos: pos)
        rope(&k, heads: s.kvHeads, pos: pos)
        keys[l].append(k)
        values[l].append(v)
        var att = [Float](repeating: 0, count: s.dim)
        for h in 0..<s.heads {
          let kvh = h / (s.heads / s.kvHeads)
          var scores = (0...pos).map { j -> Float in
            (0..<s.headDim).reduce(Float(0)) { $0 + q[h * s.headDim + $1] * keys[l][j][kvh * s.headDim + $1] }
              / Float(s.headDim).squareRoot()
          }
          let m = scores.max()!
          scores = scores.map { exp($0 - m) }
          let sum = scores.reduce(0, +)
          for j in 0...pos {
            for i in 0..<s.headDim { att[h * s.headDim + i] += scores[j] / sum * values[l][j][kvh * s.headDim + i] }
          }
        }
        let o = matvec(W[p + "attn_output.weight"]!, att, rows: s.dim, cols: s.dim)
        for i in 0..<s.dim { x[i] += o[i] }
        let xf = rmsnorm(x, W[p + "ffn_norm.weight"]!)
        let g = matvec(W[p + "ffn_gate.weight"]!, xf, rows: s.ffn, cols: s.dim)
        let u = matvec(W[p + "ffn_up.weight"]!, xf, rows: s.ffn, cols: s.dim)
        let h = (0..<s.ffn).map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
        let d = matvec(W[p + "ffn_down.weight"]!, h, rows: s.dim, cols: s.ffn)
        for i in 0..<s.dim { x[i] += d[i] }
      }
      let xn = rmsnorm(x, W["output_norm.weight"]!)
      out.append(matvec(W[tied ? "token_embd.weight" : "output.weight"]!, xn, rows: s.vocab, cols: s.dim))
    }
    return out
  }

  /// Relative error bound per type (largest |difference| over the largest
  /// |logit|): what converting the activations to the weight type's
  /// dot-product format costs (f16 halves, bf16's 8-bit mantissa, 8-bit
  /// activation blocks) plus the F16 KV cache, through two layers.
  /// Measured: f32 3.0e-4, f16 4.9e-4, bf16 5.5e-3, q4_0..q8_0 1.2e-2 to
  /// 1.9e-2; a wrong kernel or layer gives errors of order 1.
  static func tolerance(_ type: GGMLType) -> Float {
    switch type {
    case .f32: return 1e-3       // the F16 KV cache alone
    case .f16: return 2e-3
    case .bf16: return 1.5e-2
    default: return 3e-2         // Q8_0 / Q8_1 activation blocks
    }
  }

  @Test(arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1])
  func forwardPassMatchesReference(type: GGMLType) throws {
    for tied in [true, false] {
      let (path, weights) = try Self.makeModel(type, tied: tied)
      defer { try? FileManager.default.removeItem(atPath: path) }
      let model = try Model(path: path)
      let tokens: [Int32] = [1, 72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100]
      let expected = Self.referenceLogits(weights, tokens: tokens, tied: tied)
      for threads in [1, 3] {
        // All positions in one batch, and token by token: both must match.
        let session = try Session.create(model: model, options: SessionOptions(contextLength: 64, threads: threads, batchSize: 16))
        let batched = try session.evaluate(tokens, logits: .all)
        var worst: Float = 0
        for (pos, row) in expected.enumerated() {
          let scale = row.map { abs($0) }.max()!
          for v in 0..<row.count { worst = max(worst, abs(batched[pos * row.count + v] - row[v]) / scale) }
        }
        #expect(worst < Self.tolerance(type), "\(type.name) tied=\(tied) threads=\(threads): relative error \(worst)")
        session.reset()
        var last: UnsafePointer<Float>! = nil
        for t in tokens { last = try session.evaluate([t], logits: .last) }
        let row = expected.last!
        let scale = row.map { abs($0) }.max()!
        var worstSingle: Float = 0
        for v in 0..<row.count { worstSingle = max(worstSingle, abs(last[v] - row[v]) / scale) }
        #expect(worstSingle < Self.tolerance(type), "\(type.name) one by one: relative error \(worstSingle)")
      }
    }
  }

  @Test func rejectsInconsistentMetadata() throws {
    // A head count that does not divide the hidden size.
    let (path, _) = try Self.makeModel(.f32, tied: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = try GGUFFile.open(path: path)
    var w = GGUFWriter()
    for e in file.metadata where e.key != "llama.attention.head_count" { w.add(e.key, e.value) }
    w.add("llama.attention.head_count", .uint32(5))
    for t in file.tensors {
      try w.addTensor(name: t.name, type: t.type, dims: t.dims, data: Array(file.tensorBytes(t)))
    }
    let bad = path + ".bad.gguf"
    try w.write(to: bad)
    defer { try? FileManager.default.removeItem(atPath: bad) }
    #expect {
      _ = try Model(path: bad)
    } throws: { e in
      let e = e as! EdgeLMError
      return e.status == .format && e.message.contains("head_count")
    }
  }
}
