// Chat templates: a conversation (role, content messages) -> the prompt text
// a chat model was trained on. As llama.cpp's src/llama-chat.cpp
// (llm_chat_detect_template, llm_chat_apply_template), the template is
// recognised from substrings of the GGUF's Jinja `tokenizer.chat_template`
// and rendered by hand-written code; there is no Jinja engine. Output bytes
// equal llama_chat_apply_template's (Tests/Fixtures/chat_templates.json).

/// One message of a conversation.
public struct ChatMessage: Sendable {
  /// "system", "user" or "assistant" (UTF-8 bytes); other roles are
  /// rejected by `ChatTemplate.apply`.
  public var role: [UInt8]
  /// The message text (UTF-8 bytes), inserted as is (special-token texts in
  /// it are not escaped, as in llama.cpp).
  public var content: [UInt8]

  public init(role: [UInt8], content: [UInt8]) {
    self.role = role
    self.content = content
  }

  public init(role: String, content: String) {
    self.role = Array(role.utf8)
    self.content = Array(content.utf8)
  }
}

/// The roles `ChatTemplate.apply` accepts.
enum ChatRole {
  case system, user, assistant

  init?(_ bytes: [UInt8]) {
    if ChatTemplate.equal(bytes, "system") {
      self = .system
    } else if ChatTemplate.equal(bytes, "user") {
      self = .user
    } else if ChatTemplate.equal(bytes, "assistant") {
      self = .assistant
    } else {
      return nil
    }
  }

  var text: StaticString {
    switch self {
    case .system: return "system"
    case .user: return "user"
    case .assistant: return "assistant"
    }
  }
}

/// A built-in chat format, named as llama.cpp names it (`--chat-template`).
public enum ChatTemplate: Sendable, Equatable {
  /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen, ...).
  case chatml
  /// `<|im_start|>role<|im_sep|>content<|im_end|>` (Phi-4).
  case phi4
  /// `<|role|>\ncontent<|end|>\n` (Phi-3).
  case phi3
  /// `<start_of_turn>user\n...<end_of_turn>\n`, assistant is "model", system
  /// merged into the next user turn (Gemma 1-3).
  case gemma
  /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3).
  case llama3
  /// `[INST] ... [/INST]` (Llama 2); system text prefixed to the first user turn.
  case llama2
  /// Llama 2 with `<<SYS>>` system blocks.
  case llama2Sys
  /// Llama 2 with `<<SYS>>` and `<s>` before each later turn.
  case llama2SysBos
  /// Llama 2 with `<<SYS>>` and contents trimmed.
  case llama2SysStrip
  /// Mistral's official v1 template (` [INST] ... [/INST]`).
  case mistralV1
  /// Mistral's official v3 template (assistant contents trimmed).
  case mistralV3
  /// Mistral's official v3-tekken template (no spaces).
  case mistralV3Tekken
  /// Mistral's official v7 template (`[SYSTEM_PROMPT]`, spaces).
  case mistralV7
  /// Mistral's official v7-tekken template (`[SYSTEM_PROMPT]`, no spaces).
  case mistralV7Tekken

  /// Every template, in the order of `supportedNames`.
  public static let all: [ChatTemplate] = [
    .chatml, .gemma, .llama3, .phi3, .phi4, .llama2, .llama2Sys, .llama2SysBos, .llama2SysStrip,
    .mistralV1, .mistralV3, .mistralV3Tekken, .mistralV7, .mistralV7Tekken,
  ]

  /// The llama.cpp name of this template ("chatml", "gemma", "llama3", ...).
  public var name: String {
    switch self {
    case .chatml: return "chatml"
    case .phi4: return "phi4"
    case .phi3: return "phi3"
    case .gemma: return "gemma"
    case .llama3: return "llama3"
    case .llama2: return "llama2"
    case .llama2Sys: return "llama2-sys"
    case .llama2SysBos: return "llama2-sys-bos"
    case .llama2SysStrip: return "llama2-sys-strip"
    case .mistralV1: return "mistral-v1"
    case .mistralV3: return "mistral-v3"
    case .mistralV3Tekken: return "mistral-v3-tekken"
    case .mistralV7: return "mistral-v7"
    case .mistralV7Tekken: return "mistral-v7-tekken"
    }
  }

  /// The names `init(named:)` accepts, comma-separated, for error messages.
  public static var supportedNames: String {
    var list = ""
    for t in all {
      if !list.isEmpty { list += ", " }
      list += t.name
    }
    return list
  }

  /// The template with llama.cpp name `name` ("chatml", "gemma", "llama3",
  /// "phi3", "mistral-v7", ...).
  /// - Throws: `.unsupported` for any other name; the message lists the
  ///   supported names.
  public init(named name: String) throws(EdgeLMError) {
    guard let t = ChatTemplate.lookup(Array(name.utf8)) else {
      throw EdgeLMError(
        .unsupported, "unknown chat template name '\(name)'; supported: \(ChatTemplate.supportedNames)")
    }
    self = t
  }

  static func lookup(_ name: [UInt8]) -> ChatTemplate? {
    for t in all where equal(name, t.name) { return t }
    return nil
  }

  // MARK: - Detection

  /// Recognises a template from its Jinja text (a GGUF's
  /// `tokenizer.chat_template`) by the substrings llama.cpp's
  /// `llm_chat_detect_template` looks for, in its order. A bare template
  /// name ("chatml") is accepted too, as llama.cpp does.
  /// - Throws: `.unsupported` when the text is none of the supported
  ///   templates, naming the llama.cpp template it was recognised as (if
  ///   any) and the supported names, so the caller can pass one explicitly.
  public static func detect(from templateText: [UInt8]) throws(EdgeLMError) -> ChatTemplate {
    if let t = lookup(templateText) { return t }
    let found = recognise(templateText)
    switch found {
    case .supported(let t):
      return t
    case .unsupported(let family):
      throw EdgeLMError(
        .unsupported,
        "the chat template is llama.cpp's '\(family)' format, which EdgeLM does not implement; pass one of: \(supportedNames)")
    case .unknown:
      if templateText.count <= 64 && !templateText.contains(0x7B) {  // no "{": meant as a name
        throw EdgeLMError(
          .unsupported,
          "unknown chat template name '\(String(decoding: templateText, as: UTF8.self))'; supported: \(supportedNames)")
      }
      throw EdgeLMError(
        .unsupported, "the chat template (\(templateText.count) bytes) is not a known format; pass one of: \(supportedNames)")
    }
  }

  enum Recognised {
    case supported(ChatTemplate)
    case unsupported(String)
    case unknown
  }

  /// llm_chat_detect_template's decision chain up to Llama 3; every branch
  /// after it is a format EdgeLM does not implement, so the chain stops
  /// there (an earlier branch can never be overridden by a later one).
  static func recognise(_ t: [UInt8]) -> Recognised {
    func has(_ s: StaticString) -> Bool { contains(t, s) }
    if has("<|im_start|>") {
      if has("<|im_sep|>") { return .supported(.phi4) }
      if has("<end_of_utterance>") { return .unsupported("smolvlm") }
      return .supported(.chatml)
    }
    if startsWith(t, "mistral") || has("[INST]") {
      if has("[SYSTEM_PROMPT]") { return .supported(.mistralV7) }
      if has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]") {
        if has(" [INST]") { return .supported(.mistralV1) }
        if has("\"[INST]\"") { return .supported(.mistralV3Tekken) }
        return .supported(.mistralV3)
      }
      if has("content.strip()") { return .supported(.llama2SysStrip) }
      if has("bos_token + '[INST]") { return .supported(.llama2SysBos) }
      if has("<<SYS>>") { return .supported(.llama2Sys) }
      return .supported(.llama2)
    }
    if has("<|assistant|>") && has("<|end|>") { return .supported(.phi3) }
    if has("[gMASK]<sop>") { return .unsupported("chatglm4") }
    if has("<|assistant|>") && has("<|user|>") { return .unsupported(has("</s>") ? "falcon3" : "glmedge") }
    if has("<|{{ item['role'] }}|>") && has("<|begin_of_image|>") { return .unsupported("glmedge") }
    if has("<|user|>") && has("<|endoftext|>") { return .unsupported("zephyr") }
    if has("bos_token + message['role']") { return .unsupported("monarch") }
    if has("<start_of_turn>") { return .supported(.gemma) }
    if has("'\\n\\nAssistant: ' + eos_token") { return .unsupported("orion") }
    if has("GPT4 Correct ") { return .unsupported("openchat") }
    if has("USER: ") && has("ASSISTANT: ") { return .unsupported(has("SYSTEM: ") ? "vicuna-orca" : "vicuna") }
    if has("### Instruction:") && has("<|EOT|>") { return .unsupported("deepseek") }
    if has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>") { return .unsupported("command-r") }
    if has("<|start_header_id|>") && has("<|end_header_id|>") { return .supported(.llama3) }
    return .unknown
  }

  // MARK: - Rendering

  /// Renders `messages` in this format, byte for byte as llama.cpp's
  /// `llama_chat_apply_template`.
  /// - Parameters:
  ///   - messages: the conversation, oldest first; roles "system", "user",
  ///     "assistant".
  ///   - addAssistantPrompt: end with the opening of an assistant turn, so
  ///     the model's continuation is the reply (the Mistral v7 and Llama 2
  ///     formats have none: their user turn already ends with `[/INST]`).
  /// - Returns: the prompt text (UTF-8), without BOS: tokenize it with
  ///   `addSpecial: true, parseSpecial: true`.
  /// - Throws: `.invalidArgument` for an empty message list or a message
  ///   with another role (the message names its index).
  public func apply(_ messages: [ChatMessage], addAssistantPrompt: Bool) throws(EdgeLMError) -> [UInt8] {
    guard !messages.isEmpty else {
      throw EdgeLMError(.invalidArgument, "the chat has no messages")
    }
    var roles: [ChatRole] = []
    roles.reserveCapacity(messages.count)
    for (i, m) in messages.enumerated() {
      guard let role = ChatRole(m.role) else {
        throw EdgeLMError(
          .invalidArgument,
          "chat message \(i): unknown role '\(String(decoding: m.role, as: UTF8.self))'; expected system, user or assistant")
      }
      roles.append(role)
    }
    var out: [UInt8] = []
    var size = 32
    for m in messages { size += m.content.count + 32 }
    out.reserveCapacity(size)
    render(messages, roles, addAssistantPrompt, into: &out)
    return out
  }

  private func render(_ messages: [ChatMessage], _ roles: [ChatRole], _ addAssistant: Bool, into out: inout [UInt8]) {
    func put(_ s: StaticString) { ChatTemplate.append(s, to: &out) }
    func put(_ bytes: [UInt8]) { out.append(contentsOf: bytes) }
    func put(_ bytes: ArraySlice<UInt8>) { out.append(contentsOf: bytes) }

    switch self {
    case .chatml:
      for (m, r) in zip(messages, roles) {
        put("<|im_start|>"); put(r.text); put("\n"); put(m.content); put("<|im_end|>\n")
      }
      if addAssistant { put("<|im_start|>assistant\n") }

    case .phi4:
      for (m, r) in zip(messages, roles) {
        put("<|im_start|>"); put(r.text); put("<|im_sep|>"); put(m.content); put("<|im_end|>")
      }
      if addAssistant { put("<|im_start|>assistant<|im_sep|>") }

    case .phi3:
      for (m, r) in zip(messages, roles) {
        put("<|"); put(r.text); put("|>\n"); put(m.content); put("<|end|>\n")
      }
      if addAssistant { put("<|assistant|>\n") }

    case .gemma:
      // Gemma has no system turn: system texts (trimmed, concatenated) go
      // at the start of the next user turn.
      var system: [UInt8] = []
      for (m, r) in zip(messages, roles) {
        if r == .system {
          system.append(contentsOf: ChatTemplate.trimmed(m.content))
          continue
        }
        put("<start_of_turn>")
        if r == .assistant { put("model") } else { put(r.text) }
        put("\n")
        if !system.isEmpty && r != .assistant {
          put(system); put("\n\n")
          system = []
        }
        put(ChatTemplate.trimmed(m.content)); put("<end_of_turn>\n")
      }
      if addAssistant { put("<start_of_turn>model\n") }

    case .llama3:
      for (m, r) in zip(messages, roles) {
        put("<|start_header_id|>"); put(r.text); put("<|end_header_id|>\n\n")
        put(ChatTemplate.trimmed(m.content)); put("<|eot_id|>")
      }
      if addAssistant { put("<|start_header_id|>assistant<|end_header_id|>\n\n") }

    case .mistralV7, .mistralV7Tekken:
      let space = self == .mistralV7
      for (m, r) in zip(messages, roles) {
        switch r {
        case .system:
          put("[SYSTEM_PROMPT]"); if space { put(" ") }; put(m.content); put("[/SYSTEM_PROMPT]")
        case .user:
          put("[INST]"); if space { put(" ") }; put(m.content); put("[/INST]")
        case .assistant:
          if space { put(" ") }; put(m.content); put("</s>")
        }
      }

    case .mistralV1, .mistralV3, .mistralV3Tekken:
      let leading = self == .mistralV1
      let trailing = self != .mistralV3Tekken
      let trimAssistant = self == .mistralV3
      var insideTurn = false
      for (m, r) in zip(messages, roles) {
        if !insideTurn {
          if leading { put(" ") }
          put("[INST]")
          if trailing { put(" ") }
          insideTurn = true
        }
        switch r {
        case .system:
          put(m.content); put("\n\n")
        case .user:
          put(m.content); if leading { put(" ") }; put("[/INST]")
        case .assistant:
          if trailing { put(" ") }
          if trimAssistant { put(ChatTemplate.trimmed(m.content)) } else { put(m.content) }
          put("</s>")
          insideTurn = false
        }
      }

    case .llama2, .llama2Sys, .llama2SysBos, .llama2SysStrip:
      let systemBlock = self != .llama2
      let bosInHistory = self == .llama2SysBos
      let strip = self == .llama2SysStrip
      var insideTurn = true  // the first "[INST] " is written up front, BOS is the tokenizer's
      put("[INST] ")
      for (m, r) in zip(messages, roles) {
        let content = strip ? ChatTemplate.trimmed(m.content) : m.content[...]
        if !insideTurn {
          insideTurn = true
          put(bosInHistory ? "<s>[INST] " : "[INST] ")
        }
        switch r {
        case .system:
          if systemBlock {
            put("<<SYS>>\n"); put(content); put("\n<</SYS>>\n\n")
          } else {
            put(content); put("\n")
          }
        case .user:
          put(content); put(" [/INST]")
        case .assistant:
          put(content); put("</s>")
          insideTurn = false
        }
      }
    }
  }

  // MARK: - Byte helpers

  /// `bytes` without leading and trailing C-locale white space (space,
  /// \t \n \v \f \r), as llama-chat.cpp's trim.
  static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    var start = 0
    var end = bytes.count
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    return bytes[start..<end]
  }

  static func append(_ s: StaticString, to out: inout [UInt8]) {
    s.withUTF8Buffer { out.append(contentsOf: $0) }
  }

  static func equal(_ bytes: [UInt8], _ s: StaticString) -> Bool {
    s.withUTF8Buffer { b in b.count == bytes.count && b.elementsEqual(bytes) }
  }

  static func equal(_ bytes: [UInt8], _ s: String) -> Bool {
    var copy = s
    return copy.withUTF8 { b in b.count == bytes.count && b.elementsEqual(bytes) }
  }

  static func startsWith(_ bytes: [UInt8], _ s: StaticString) -> Bool {
    s.withUTF8Buffer { b in b.count <= bytes.count && b.elementsEqual(bytes[0..<b.count]) }
  }

  /// Whether `needle` occurs in `haystack` (a plain scan: templates are a
  /// few kilobytes).
  static func contains(_ haystack: [UInt8], _ needle: StaticString) -> Bool {
    needle.withUTF8Buffer { n in
      guard n.count > 0 else { return true }
      guard haystack.count >= n.count else { return false }
      let first = n[0]
      var i = 0
      let last = haystack.count - n.count
      while i <= last {
        if haystack[i] == first {
          var j = 1
          while j < n.count && haystack[i + j] == n[j] { j += 1 }
          if j == n.count { return true }
        }
        i += 1
      }
      return false
    }
  }
}
