// Per-session working memory of a forward pass (llama2.c's RunState): the
// activation buffers for one batch, the KV cache, the logits and the thread
// pool. Sized once at session creation; the token loop allocates nothing
// big.

/// Which positions of a batch get logits.
public enum LogitRows {
  case none
  case last
  case all
}

final class ForwardState {
  let config: ModelConfig
  let pool: ThreadPool
  let kv: KVCache
  let maxBatch: Int
  let cancel = CancelFlag()

  let x: AlignedBuffer<Float>     // (maxBatch, dim)
  let xb: AlignedBuffer<Float>    // (maxBatch, max(dim, qDim))
  let q: AlignedBuffer<Float>     // (maxBatch, qDim)
  let k: AlignedBuffer<Float>     // (maxBatch, kvDim)
  let v: AlignedBuffer<Float>     // (maxBatch, kvDim)
  let att: AlignedBuffer<Float>   // (maxBatch, qDim)
  let hb: AlignedBuffer<Float>    // (maxBatch, ffn)
  let hb2: AlignedBuffer<Float>   // (maxBatch, ffn)
  let scores: AlignedBuffer<Float>  // (threads, min(group, Attention.maxHeads), contextLength) attention scores
  let rope: AlignedBuffer<Float>    // (maxBatch, ropeDims) cos/sin pairs
  let matmul: MatMulScratch
  /// (rows, vocab) logits of the last evaluation; grown on demand for `.all`.
  var logits: AlignedBuffer<Float>
  var logitRowCount = 0
  /// Token ids scored by the output projection: 0..<logitVocabulary, the
  /// rest set to -infinity (a draft model's `draft_vocab`); 0: all.
  var logitVocabulary = 0

  /// Streams weights under a RAM cap (nil: everything stays mapped).
  var pager: LayerPager? = nil
  /// (layers) true for layers the forward pass skips: the self-speculative
  /// draft (Runtime/SelfDrafter.swift); empty = run every layer.
  var skippedLayers: [Bool] = []

  /// Element counts of the buffers, shared by `init` and `bufferBytes` so
  /// the memory plan and the allocation agree.
  struct Sizes {
    let x, xb, q, k, v, att, hb, hb2, scores, rope, logits: Int
    let matmulCols: Int

    init(config c: ModelConfig, contextLength: Int, maxBatch: Int, threads: Int) {
      let dim = c.embeddingLength
      x = maxBatch * dim
      xb = maxBatch * max(dim, c.qDim)
      q = maxBatch * c.qDim
      k = maxBatch * c.kvDim
      v = maxBatch * c.kvDim
      att = maxBatch * c.qDim
      hb = maxBatch * c.feedForwardLength
      hb2 = maxBatch * c.feedForwardLength
      scores = threads * min(c.headCount / max(1, c.kvHeadCount), Attention.maxHeads) * contextLength
      rope = maxBatch * c.ropeDims
      logits = c.vocabSize
      matmulCols = max(dim, max(c.qDim, c.feedForwardLength))
    }
  }

  /// Bytes of the buffers a state of this shape allocates (KV cache not
  /// included): Float buffers, the logits and the matmul scratch
  /// (`MatMulScratch`: f32-wide converted rows plus the prepared layout).
  static func bufferBytes(config c: ModelConfig, contextLength: Int, maxBatch: Int, threads: Int) -> Int {
    let s = Sizes(config: c, contextLength: contextLength, maxBatch: maxBatch, threads: threads)
    let floats = s.x + s.xb + s.q + s.k + s.v + s.att + s.hb + s.hb2 + s.scores + s.rope + s.logits
    var widest = 0
    for t in [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1] {
      widest = max(widest, QuantKernels.preparedActivationBytes(t, cols: s.matmulCols))
    }
    let matmul = s.matmulCols * 4 * maxBatch + 64 + ((widest + 63) & ~63) * maxBatch + 64
    return floats * MemoryLayout<Float>.stride + matmul
  }

  /// - Parameter sharedPool: the workers of another state to run on (a
  ///   speculative draft model shares its target's, so the thread budget
  ///   holds); nil = a new pool of `threads`.
  init(config c: ModelConfig, contextLength: Int, maxBatch: Int, threads: Int, sharedPool: ThreadPool? = nil) throws(EdgeLMError) {
    config = c
    if let sharedPool { pool = sharedPool } else { pool = try ThreadPool(threadCount: threads) }
    kv = try KVCache(config: c, contextLength: contextLength, maxBatch: maxBatch)
    self.maxBatch = maxBatch
    let s = Sizes(config: c, contextLength: contextLength, maxBatch: maxBatch, threads: threads)
    x = try AlignedBuffer.allocate(count: s.x)
    xb = try AlignedBuffer.allocate(count: s.xb)
    q = try AlignedBuffer.allocate(count: s.q)
    k = try AlignedBuffer.allocate(count: s.k)
    v = try AlignedBuffer.allocate(count: s.v)
    att = try AlignedBuffer.allocate(count: s.att)
    hb = try AlignedBuffer.allocate(count: s.hb)
    hb2 = try AlignedBuffer.allocate(count: s.hb2)
    scores = try AlignedBuffer.allocate(count: s.scores)
    rope = try AlignedBuffer.allocate(count: s.rope)
    matmul = try MatMulScratch(maxCols: s.matmulCols, maxBatch: maxBatch)
    logits = try AlignedBuffer.allocate(count: s.logits)
  }

  /// `out (n, w.rows) = in (n, w.cols) x w^T`.
  @inline(__always)
  func multiply(_ w: WeightMatrix, _ input: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
    MatMul.multiply(w, input: input, batch: n, output: out, outputStride: w.rows, scratch: matmul, pool: pool)
  }

  /// `multiply` of one input by two or three matrices (a layer's q/k/v or
  /// gate/up): for a single token of matrices of one type and width, one
  /// parallel pass over all their rows (`MatMul.multiplyOneRow`).
  func multiply(
    _ a: WeightMatrix, _ outA: UnsafeMutablePointer<Float>, _ b: WeightMatrix, _ outB: UnsafeMutablePointer<Float>,
    _ c: WeightMatrix? = nil, _ outC: UnsafeMutablePointer<Float>? = nil,
    input: UnsafePointer<Float>, _ n: Int
  ) {
    if n == 1 && MatMul.sharesInput(a, b, c) {
      MatMul.multiplyOneRow(a, outA, b, outB, c, outC, input: input, scratch: matmul, pool: pool)
      return
    }
    multiply(a, input, n, outA)
    multiply(b, input, n, outB)
    if let c, let outC { multiply(c, input, n, outC) }
  }

  /// Rotates the batch's queries and keys and stores keys and values into
  /// the cache at positions start..<start+n.
  func ropeAndStore(
    layer l: Int, rope: RopeTable, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
    v: UnsafePointer<Float>, batch n: Int, start: Int
  ) {
    let c = config
    let cache = self.rope.pointer
    let kv = self.kv
    pool.parallelFor(n) { range in
      for t in range {
        let table = cache + t * rope.dims
        rope.fill(position: start + t, cache: table)
        rope.apply(q + t * c.qDim, heads: c.headCount, headDim: c.headDim, cache: table)
        rope.apply(k + t * c.kvDim, heads: c.kvHeadCount, headDim: c.headDim, cache: table)
        let kr = kv.keyRow(layer: l, position: start + t)
        let vr = kv.valueRow(layer: l, position: start + t)
        for i in 0..<c.kvDim {
          kr[i] = Float16(k[t * c.kvDim + i])
          vr[i] = Float16(v[t * c.kvDim + i])
        }
      }
    }
  }

  /// Causal attention of the batch's queries over the cache; with a
  /// `window` > 0 a query at position p sees only p-window+1...p.
  func attend(
    layer l: Int, q: UnsafePointer<Float>, batch n: Int, start: Int, window: Int, scale: Float,
    out: UnsafeMutablePointer<Float>
  ) {
    let c = config
    let kv = self.kv
    let scores = self.scores.pointer
    let ctx = kv.contextLength
    let group = c.headCount / c.kvHeadCount
    // The query heads of one KV head go through `Attention.heads` together
    // (up to maxHeads at a time), so each key and value row is widened once
    // for all of them; one head per task when that would leave too few
    // tasks to share among the threads (decoding one token: a model with
    // one KV head would be one task). The results are the same either way.
    let grouped = min(group, Attention.maxHeads)
    let perCall = pool.threadCount == 1 || n * c.kvHeadCount >= 2 * pool.threadCount ? grouped : 1
    let calls = (group + perCall - 1) / perCall
    let base = kv.layerBase(l)
    let capacity = kv.capacity[l]
    pool.parallelForWorker(n * c.kvHeadCount * calls) { worker, range in
      let scratch = scores + worker * grouped * ctx
      for task in range {
        let t = task / (c.kvHeadCount * calls)
        let kvHead = (task / calls) % c.kvHeadCount
        let h = kvHead * group + (task % calls) * perCall  // first query head of this call
        let last = start + t
        let first = window > 0 ? max(0, last - window + 1) : 0
        Attention.heads(
          min(perCall, (kvHead + 1) * group - h),
          q: q + t * c.qDim + h * c.headDim,
          keys: base.keys + kvHead * c.headDim,
          values: base.values + kvHead * c.headDim,
          rowStride: c.kvDim, capacity: capacity, first: first, last: last, headDim: c.headDim, scale: scale,
          scores: scratch, scoreStride: ctx, out: out + t * c.qDim + h * c.headDim)
      }
    }
  }

  /// Final norm and output projection for the requested rows of the batch.
  func computeLogits(output: WeightMatrix, outputNorm: WeightVector, batch n: Int, rows: LogitRows) {
    let c = config
    let dim = c.embeddingLength
    switch rows {
    case .none:
      logitRowCount = 0
    case .last:
      Norm.rms(x.pointer + (n - 1) * dim, weight: outputNorm.pointer, count: dim, eps: c.rmsEpsilon, out: xb.pointer)
      multiplyOutput(output, xb.pointer, 1)
      logitRowCount = 1
      if c.finalLogitSoftcap > 0 { Activations.softcap(logits.pointer, count: c.vocabSize, cap: c.finalLogitSoftcap) }
    case .all:
      Norm.rmsRows(x.pointer, weight: outputNorm.pointer, rows: n, count: dim, stride: dim, eps: c.rmsEpsilon, out: xb.pointer)
      multiplyOutput(output, xb.pointer, n)
      logitRowCount = n
      if c.finalLogitSoftcap > 0 { Activations.softcap(logits.pointer, count: n * c.vocabSize, cap: c.finalLogitSoftcap) }
    }
    // Tokens outside `logitVocabulary` cannot be chosen.
    let scored = scoredVocabulary(output)
    if scored < c.vocabSize {
      for r in 0..<logitRowCount {
        (logits.pointer + r * c.vocabSize + scored).update(repeating: -.infinity, count: c.vocabSize - scored)
      }
    }
  }

  /// Output rows computed: `logitVocabulary` when set and smaller than
  /// the vocabulary, else all (always all while the pager streams the
  /// output projection).
  private func scoredVocabulary(_ output: WeightMatrix) -> Int {
    guard logitVocabulary > 0, logitVocabulary < output.rows, pager?.outputChunks.isEmpty ?? true else {
      return output.rows
    }
    return logitVocabulary
  }

  /// `logits (n, vocab) = input (n, dim) x output^T`, by row chunks when the
  /// pager streams the output projection (each chunk mapped only while it
  /// is multiplied).
  private func multiplyOutput(_ output: WeightMatrix, _ input: UnsafePointer<Float>, _ n: Int) {
    guard let pager, let last = pager.outputChunks.last, last.rows.upperBound == output.rows else {
      // Rows 0..<scored, into rows of `vocab` logits.
      let scored = scoredVocabulary(output)
      let part = output.rows(0..<scored)
      MatMul.multiply(part, input: input, batch: n, output: logits.pointer, outputStride: output.rows,
                      scratch: matmul, pool: pool)
      return
    }
    for (j, chunk) in pager.outputChunks.enumerated() {
      pager.enterOutput(chunk: j)
      let part = output.rows(chunk.rows)
      MatMul.multiply(part, input: input, batch: n, output: logits.pointer + chunk.rows.lowerBound,
                      outputStride: output.rows, scratch: matmul, pool: pool)
    }
  }

  /// Makes room for `.all` logits of a full batch.
  /// Grows the logits buffer to hold `rows` rows (it never shrinks).
  func reserveLogits(rows: Int) throws(EdgeLMError) {
    if logits.count < rows * config.vocabSize {
      logits = try AlignedBuffer.allocate(count: rows * config.vocabSize)
    }
  }
}
