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
  let scores: AlignedBuffer<Float>  // (threads, contextLength) attention scores
  let rope: AlignedBuffer<Float>    // (maxBatch, ropeDims) cos/sin pairs
  let matmul: MatMulScratch
  /// (rows, vocab) logits of the last evaluation; grown on demand for `.all`.
  var logits: AlignedBuffer<Float>
  var logitRowCount = 0

  init(config c: ModelConfig, contextLength: Int, maxBatch: Int, threads: Int) throws(EdgeLMError) {
    config = c
    pool = try ThreadPool(threadCount: threads)
    kv = try KVCache(config: c, contextLength: contextLength, maxBatch: maxBatch)
    self.maxBatch = maxBatch
    let dim = c.embeddingLength
    x = try AlignedBuffer.allocate(count: maxBatch * dim)
    xb = try AlignedBuffer.allocate(count: maxBatch * max(dim, c.qDim))
    q = try AlignedBuffer.allocate(count: maxBatch * c.qDim)
    k = try AlignedBuffer.allocate(count: maxBatch * c.kvDim)
    v = try AlignedBuffer.allocate(count: maxBatch * c.kvDim)
    att = try AlignedBuffer.allocate(count: maxBatch * c.qDim)
    hb = try AlignedBuffer.allocate(count: maxBatch * c.feedForwardLength)
    hb2 = try AlignedBuffer.allocate(count: maxBatch * c.feedForwardLength)
    scores = try AlignedBuffer.allocate(count: threads * contextLength)
    rope = try AlignedBuffer.allocate(count: maxBatch * c.ropeDims)
    matmul = try MatMulScratch(maxCols: max(dim, max(c.qDim, c.feedForwardLength)), maxBatch: maxBatch)
    logits = try AlignedBuffer.allocate(count: c.vocabSize)
  }

  /// `out (n, w.rows) = in (n, w.cols) x w^T`.
  @inline(__always)
  func multiply(_ w: WeightMatrix, _ input: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
    MatMul.multiply(w, input: input, batch: n, output: out, outputStride: w.rows, scratch: matmul, pool: pool)
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
    let base = kv.layerBase(l)
    let capacity = kv.capacity[l]
    pool.parallelForWorker(n * c.headCount) { worker, range in
      let scratch = scores + worker * ctx
      for task in range {
        let t = task / c.headCount
        let h = task % c.headCount
        let kvHead = h / group
        let last = start + t
        let first = window > 0 ? max(0, last - window + 1) : 0
        Attention.head(
          q: q + t * c.qDim + h * c.headDim,
          keys: base.keys + kvHead * c.headDim,
          values: base.values + kvHead * c.headDim,
          rowStride: c.kvDim, capacity: capacity, first: first, last: last, headDim: c.headDim, scale: scale,
          scores: scratch, out: out + t * c.qDim + h * c.headDim)
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
      multiply(output, xb.pointer, 1, logits.pointer)
      logitRowCount = 1
      if c.finalLogitSoftcap > 0 { Activations.softcap(logits.pointer, count: c.vocabSize, cap: c.finalLogitSoftcap) }
    case .all:
      Norm.rmsRows(x.pointer, weight: outputNorm.pointer, rows: n, count: dim, stride: dim, eps: c.rmsEpsilon, out: xb.pointer)
      multiply(output, xb.pointer, n, logits.pointer)
      logitRowCount = n
      if c.finalLogitSoftcap > 0 { Activations.softcap(logits.pointer, count: n * c.vocabSize, cap: c.finalLogitSoftcap) }
    }
  }

  /// Makes room for `.all` logits of a full batch.
  func reserveAllLogits() throws(EdgeLMError) {
    if logits.count < maxBatch * config.vocabSize {
      logits = try AlignedBuffer.allocate(count: maxBatch * config.vocabSize)
    }
  }
}
