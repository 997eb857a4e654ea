// Sessions made from the JSON runtime config: which settings this build
// honours, and a clear error for those it does not (yet). The RAM cap
// (`ram_limit`, `paging`, `prefetch_depth`) becomes a MemoryPlan.

extension Session {
  /// The memory plan a session of `model` under `config` would run with.
  /// - Parameter batchSize: tokens per forward pass (capped at the context).
  /// - Throws: `.resourceLimit` when no plan fits `ram_limit` (the message
  ///   gives the smallest cap that works), `.invalidArgument` for a context
  ///   length out of range.
  ///
  /// When the cap is tight, the prompt batch is halved (down to 1 token)
  /// until a plan fits: smaller buffers leave more room for weights.
  public static func memoryPlan(model: Model, config: RuntimeConfig, batchSize: Int = 128) throws(EdgeLMError) -> MemoryPlan {
    let (ctx, batch, threads) = try shape(model: model, config: config, batchSize: batchSize)
    let c = model.config
    // The smallest cap of all: buffers for one token (and the smallest
    // sliding-window rings, which are sized by the batch).
    let smallest = try MemoryPlan.layout(
      gguf: model.gguf, config: config,
      kvCacheBytes: KVCache.byteCount(config: c, contextLength: ctx, maxBatch: 1),
      bufferBytes: ForwardState.bufferBytes(config: c, contextLength: ctx, maxBatch: 1, threads: threads),
      maxBatch: 1, packed: model.packedUnits).minimumCap
    var b = batch
    while true {
      do throws(EdgeLMError) {
        var plan = try MemoryPlan.make(
          gguf: model.gguf, config: config,
          kvCacheBytes: KVCache.byteCount(config: c, contextLength: ctx, maxBatch: b),
          bufferBytes: ForwardState.bufferBytes(config: c, contextLength: ctx, maxBatch: b, threads: threads),
          maxBatch: b, packed: model.packedUnits)
        plan.smallestCap = smallest
        return plan
      } catch {
        if error.status != .resourceLimit || b == 1 { throw error }
        b = max(1, b / 2)
      }
    }
  }

  /// Context length, batch and threads a config resolves to.
  static func shape(model: Model, config: RuntimeConfig, batchSize: Int) throws(EdgeLMError) -> (Int, Int, Int) {
    let trained = model.config.trainedContextLength
    let ctx = config.contextLength == 0 ? min(trained, SessionOptions.defaultContextLength) : config.contextLength
    guard ctx >= 1 && ctx <= trained else {
      throw EdgeLMError(.invalidArgument, "context length \(config.contextLength) is out of range 1...\(trained) (the model's trained context)")
    }
    guard batchSize >= 1 && batchSize <= 4096 else {
      throw EdgeLMError(.invalidArgument, "batch size \(batchSize) is out of range 1...4096")
    }
    return (ctx, min(batchSize, ctx), config.resolvedThreads(onlineCPUs: Environment.cpuCount))
  }

  /// A session with the config's threads, context length, cache type, RAM
  /// cap and speculative decoding (a draft model is loaded here).
  /// - Throws: `.unsupported` for settings this build does not implement
  ///   (naming the key), `.resourceLimit` when `ram_limit` is below the
  ///   smallest plan (the message gives the smallest cap that works) or,
  ///   with `paging: "off"`, below what the whole model needs; the errors
  ///   of `create(model:options:)` and of `setSpeculation`.
  public static func create(model: Model, config: RuntimeConfig, batchSize: Int = 128) throws(EdgeLMError) -> Session {
    guard config.kvCacheType == .f16 else {
      throw EdgeLMError(.unsupported, "config: kv_cache_type '\(config.kvCacheType.name)' is not implemented in this build (supported: f16)")
    }
    if config.speculative.mode == .draft && config.ramLimit > 0 {
      throw EdgeLMError(.unsupported, "config: speculative.mode \"draft\" with ram_limit is not implemented in this build (the draft model is not in the memory plan); use mode \"ngram\" or \"self\", or no ram_limit")
    }
    // What can fail without the session fails first: a missing or
    // mismatched draft model and bad skip_layers cost no KV cache or thread.
    var draftModel: Model? = nil
    switch config.speculative.mode {
    case .draft: draftModel = try ModelDrafter.loadModel(config.speculative, target: model)
    case .selfSpeculative:
      _ = try SelfDrafter.make(model: model, skipLayers: config.speculative.skipLayers, sampling: config.sampling)
    case .off, .ngram: break
    }
    let (ctx, batch, threads) = try shape(model: model, config: config, batchSize: batchSize)
    let plan: MemoryPlan
    do throws(EdgeLMError) {
      plan = try memoryPlan(model: model, config: config, batchSize: batchSize)
    } catch {
      throw EdgeLMError(error.status, "config: " + error.message)
    }
    let session = try Session.create(
      model: model, options: SessionOptions(contextLength: ctx, threads: threads, batchSize: min(batch, plan.maxBatch)),
      plan: plan)
    try session.setSpeculation(config.speculative, sampling: config.sampling, draftModel: draftModel)
    return session
  }
}
