// Sessions made from the JSON runtime config: which settings this build
// honours, and a clear error for those it does not (yet).

extension Session {
  /// Bytes a session needs beyond the process itself: the weights (mapped,
  /// resident once touched), the KV cache and the working buffers.
  public static func requiredBytes(model: Model, contextLength: Int, batchSize: Int) -> Int {
    let c = model.config
    let kv = KVCache.byteCount(config: c, contextLength: contextLength, maxBatch: min(batchSize, contextLength))
    let perToken = 2 * c.embeddingLength + 2 * c.qDim + 2 * c.kvDim + 2 * c.feedForwardLength
    let scratch = 4 * batchSize * (perToken + 2 * max(c.embeddingLength, c.feedForwardLength))
    return model.weightBytes + kv + scratch + 4 * c.vocabSize
  }

  /// A session with the config's threads, context length and cache type.
  /// - Throws: `.unsupported` for settings this build does not implement
  ///   (naming the key), `.resourceLimit` when `ram_limit` is below what the
  ///   session needs (paging of layers is not implemented yet, so the
  ///   message gives the smallest cap that works), and the errors of
  ///   `create(model:options:)`.
  public static func create(model: Model, config: RuntimeConfig, batchSize: Int = 128) throws(EdgeLMError) -> Session {
    guard config.kvCacheType == .f16 else {
      throw EdgeLMError(.unsupported, "config: kv_cache_type '\(config.kvCacheType.name)' is not implemented in this build (supported: f16)")
    }
    guard config.speculative.mode == .off else {
      throw EdgeLMError(.unsupported, "config: speculative.mode '\(config.speculative.mode.name)' is not implemented in this build (supported: off)")
    }
    let trained = model.config.trainedContextLength
    let ctx = config.contextLength == 0 ? min(trained, SessionOptions.defaultContextLength) : config.contextLength
    if config.ramLimit > 0 {
      let needed = Session.requiredBytes(model: model, contextLength: ctx, batchSize: min(batchSize, ctx))
      if needed > config.ramLimit {
        throw EdgeLMError(.resourceLimit, "config: ram_limit \(config.ramLimit) bytes is below the \(needed) bytes this model needs at context \(ctx) (weights \(model.weightBytes) + KV cache + buffers); layer paging is not available in this build, so the smallest cap that works is \(needed) bytes")
      }
    }
    return try Session.create(model: model, options: SessionOptions(
      contextLength: ctx, threads: config.resolvedThreads(onlineCPUs: Environment.cpuCount),
      batchSize: batchSize))
  }
}
