// libFuzzer target: prompt text and token ids from an untrusted caller
// (`edgelm_tokenize`, `edgelm_token_to_piece`, the streamed pieces of
// `edgelm_generate`) against the two real vocabularies: SmolLM2's byte-level
// BPE and Gemma 3's SentencePiece, each loaded once per process from
// $EDGELM_MODEL_DIR (default ~/.cache/edgelm/models; `make models`).
//
// Input: byte 0 holds flags, the rest is the text.
//   bit 0  parse special-token texts ("<|im_start|>") as special tokens
//   bit 1  add BOS/EOS where the model's metadata asks for it
//   bit 2  render control tokens when detokenizing
//   bit 3  detokenize with removeSpecial (drop a leading BOS/trailing EOS)
// The text is also read as little-endian int32 token ids (any value, as a
// C caller may pass) and detokenized.
//
// Checked beyond "no crash": every id tokenize returns is inside the
// vocabulary; UTF8StreamBuffer passes every byte of the pieces through
// (held-back tails come out on flush), in order; and byte-level BPE gives
// the text back: with SmolLM2, detokenize(tokenize(text)) == text for valid
// UTF-8 without special-token parsing, unless the text holds a byte that
// SmolLM2's vocabulary has no token for (0x04, 0x06 and others), which is
// dropped as llama.cpp drops it. (SentencePiece normalises spaces, so
// Gemma's output is not compared.)
//
// Built and run by Tests/fuzz/run.sh (seeds: Tests/fuzz/corpus/tokenizer,
// dictionary: Tests/fuzz/dicts/tokenizer.dict).

@testable import EdgeLM
import Glibc

/// One vocabulary and its file. The file stays open until exit, where
/// LeakSanitizer checks that its metadata is still reachable (GGUFValue's
/// `indirect case array` is what keeps the arrays' pointers visible).
private struct Loaded {
  let file: GGUFFile
  let tokenizer: Tokenizer
  /// For a byte-level BPE vocabulary: per byte value, whether no token
  /// stands for that byte (tokenize drops it); nil for SentencePiece.
  let droppedBytes: [Bool]?
}

/// The models' directory, as the tests and the Makefile spell it.
private func modelDirectory() -> String {
  if let dir = getenv("EDGELM_MODEL_DIR") { return String(cString: dir) }
  guard let home = getenv("HOME") else { fatalError("neither EDGELM_MODEL_DIR nor HOME is set") }
  return String(cString: home) + "/.cache/edgelm/models"
}

/// Maps `name` and builds its tokenizer; a missing model is a hard error
/// (run `make models`), never a silent skip.
private func load(_ name: String) -> Loaded {
  let path = modelDirectory() + "/" + name
  do {
    let file = try GGUFFile.open(path: path)
    let tokenizer = try Tokenizer(gguf: file)
    var dropped: [Bool]? = nil
    if try file.string("tokenizer.ggml.model") == "gpt2" {
      var texts = Set<[UInt8]>()
      for i in 0..<tokenizer.vocabSize { texts.insert(tokenizer.tokenText(Int32(i))) }
      dropped = (0..<256).map { !texts.contains(ByteLevel.utf8OfByte[$0]) }
    }
    return Loaded(file: file, tokenizer: tokenizer, droppedBytes: dropped)
  } catch {
    fatalError("cannot load the tokenizer of \(path): \(error.message) (run `make models`)")
  }
}

private let vocabularies = [
  load("SmolLM2-135M-Instruct.Q4_1.gguf"),
  load("gemma-3-270m-q4_k_m.gguf"),
]

/// Loads the models before the first input, so their set-up is not counted
/// against the first input's time or memory.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
  _ = vocabularies.count
  return 0
}

/// libFuzzer's entry: one flags byte and a text per call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data, size > 0 else { return 0 }
  let flags = data[0]
  let text = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  // Little-endian int32s of the text (a trailing partial word is dropped).
  var rawIDs: [Int32] = []
  rawIDs.reserveCapacity(text.count / 4)
  var i = 0
  while i + 4 <= text.count {
    rawIDs.append(Int32(bitPattern: UInt32(text[i]) | UInt32(text[i + 1]) << 8 | UInt32(text[i + 2]) << 16 | UInt32(text[i + 3]) << 24))
    i += 4
  }

  for v in vocabularies {
    let t = v.tokenizer
    let ids = t.tokenize(text, addSpecial: flags & 2 != 0, parseSpecial: flags & 1 != 0)
    for id in ids where id < 0 || Int(id) >= t.vocabSize {
      fatalError("tokenize returned id \(id) outside the vocabulary of \(t.vocabSize)")
    }
    _ = t.detokenize(ids, special: flags & 4 != 0, removeSpecial: flags & 8 != 0)
    if let dropped = v.droppedBytes, flags & 3 == 0, !text.contains(where: { dropped[Int($0)] }),
      String(validating: text, as: UTF8.self) != nil {
      let back = t.detokenize(ids, special: true)
      if back != text {
        fatalError("BPE round trip changed the text: \(text) -> \(ids) -> \(back)")
      }
    }
    _ = t.detokenize(rawIDs, special: flags & 4 != 0, removeSpecial: flags & 8 != 0)

    // Streaming, as edgelm_generate hands pieces to its callback.
    var stream = UTF8StreamBuffer()
    var pieces: [UInt8] = []
    var streamed: [UInt8] = []
    for id in ids + rawIDs {
      let piece = t.piece(id, special: flags & 4 != 0)
      pieces += piece
      streamed += stream.append(piece)
      _ = t.isEndOfGeneration(id)
    }
    streamed += stream.flush()
    if streamed != pieces {
      fatalError("UTF8StreamBuffer output (\(streamed.count) bytes) differs from its input (\(pieces.count) bytes)")
    }
  }
  return 0
}
