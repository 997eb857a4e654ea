// libFuzzer target: a GGUF model file from an untrusted source, loaded as
// `edgelm_model_load` loads it (Model.init), but from the fuzzer's bytes in
// memory instead of a mapping:
//   1. the GGUF parser (header, metadata, tensor infos, data bounds);
//   2. every metadata value through the typed getters;
//   3. the model hyper-parameters (ModelConfig) and, when they validate,
//      the architecture's weight views (DecoderWeights, which also converts
//      non-F32 norm vectors); for a file that loads, the memory plans
//      `edgelm_session_new` makes without a RAM cap and under caps that
//      stream half of the weights or all of them (MemoryPlan);
//   4. the vocabulary and tokenizer, then a short text tokenized and
//      detokenized with that hostile vocabulary;
//   5. the chat template the file declares, rendered.
// A step that throws is an expected outcome (bad input -> EdgeLMError);
// a trap, an ASan report, a leak or a timeout is a finding.
//
// Built and run by Tests/fuzz/run.sh (seeds: Tests/fuzz/corpus/gguf,
// dictionary: Tests/fuzz/dicts/gguf.dict).

@testable import EdgeLM

/// Text tokenized with each vocabulary the fuzzer builds: ASCII, a
/// multi-byte character, an invalid byte and special-token texts.
private let sampleText: [UInt8] = Array("Hello world! é\u{1F600} <|im_start|>user<start_of_turn>\n".utf8) + [0xFF, 0x20]

private let sampleChat = [
  ChatMessage(role: "system", content: "Be brief."),
  ChatMessage(role: "user", content: "Hi"),
]

/// libFuzzer's entry: one candidate file per call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data else { return 0 }
  guard let file = try? GGUFFile(bytes: UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }

  for entry in file.metadata {
    _ = try? file.string(entry.key)
    _ = try? file.bytes(entry.key)
    _ = try? file.integer(entry.key)
    _ = try? file.float(entry.key)
    _ = try? file.bool(entry.key)
    _ = try? file.stringArray(entry.key)
    _ = try? file.integerArray(entry.key)
    _ = try? file.floatArray(entry.key)
  }
  for tensor in file.tensors {
    _ = file.tensorBytes(tensor).count
  }

  if let config = try? ModelConfig(gguf: file) {
    let weights: DecoderWeights?
    switch config.architecture {
    case .llama: weights = try? DecoderWeights.llama(gguf: file, config: config)
    case .qwen2: weights = try? DecoderWeights.qwen2(gguf: file, config: config)
    case .qwen3: weights = try? DecoderWeights.qwen3(gguf: file, config: config)
    case .phi3: weights = try? DecoderWeights.phi3(gguf: file, config: config)
    case .gemma3: weights = try? DecoderWeights.gemma3(gguf: file, config: config)
    }
    if weights != nil {
      // Small made-up session sizes; the caps leave room for them, the
      // tokenizer's heap and half of the file, or one page of it.
      let session = 1 << 16
      let fixed = MemoryPlan.modelHeapEstimate(file) + 2 * session
      for cap in [0, fixed + size / 2, fixed + MappedFile.pageSize] {
        var runtime = RuntimeConfig()
        runtime.ramLimit = cap
        _ = try? MemoryPlan.make(gguf: file, config: runtime, kvCacheBytes: session, bufferBytes: session, maxBatch: 8)
      }
    }
  }

  if let tokenizer = try? Tokenizer(gguf: file) {
    let ids = tokenizer.tokenize(sampleText, addSpecial: true, parseSpecial: true)
    for id in ids where id < 0 || Int(id) >= tokenizer.vocabSize {
      fatalError("tokenize returned id \(id) outside the vocabulary of \(tokenizer.vocabSize)")
    }
    _ = tokenizer.detokenize(ids, special: true, removeSpecial: true)
    _ = tokenizer.tokenize(sampleText, addSpecial: false, parseSpecial: false)
  }

  if let template = try? ChatTemplate.detect(in: file) {
    _ = try? template.apply(sampleChat, addAssistantPrompt: true)
  }
  return 0
}
