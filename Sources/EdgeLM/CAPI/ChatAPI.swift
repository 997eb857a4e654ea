// @_cdecl thunks: chat templates.

/// The corresponding C function is `edgelm_chat_apply`.
///
/// `messages` points at `count` `edgelm_chat_message` structs, each two
/// pointers (role, content) and nothing else, so it is read here as
/// `2 * count` C string pointers.
@_cdecl("edgelm_chat_apply")
public func edgelm_chat_apply(
  _ model: OpaquePointer?, _ templateName: UnsafePointer<CChar>?,
  _ messages: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, _ addAssistant: Int32,
  _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int32
) -> Int32 {
  guard let m = CAPI.model(model) else {
    CAPI.setError("edgelm_chat_apply: model is NULL")
    return Int32.min
  }
  guard let messages, count > 0 else {
    CAPI.setError(count == 0 ? "edgelm_chat_apply: the chat has no messages (count is 0)"
      : count < 0 ? "edgelm_chat_apply: count \(UInt(bitPattern: count)) is too large"
      : "edgelm_chat_apply: messages is NULL but count is \(count)")
    return Int32.min
  }
  guard count <= Int(Int32.max) else {
    CAPI.setError("edgelm_chat_apply: count \(count) is too large")
    return Int32.min
  }
  guard out != nil || capacity <= 0 else {
    CAPI.setError("edgelm_chat_apply: out is NULL but capacity is \(capacity)")
    return Int32.min
  }
  CAPI.beginCall()
  var chat: [ChatMessage] = []
  chat.reserveCapacity(count)
  for i in 0..<count {
    guard let role = messages[2 * i], let content = messages[2 * i + 1] else {
      CAPI.setError("edgelm_chat_apply: message \(i) has a NULL role or content")
      return Int32.min
    }
    chat.append(ChatMessage(role: CAPI.cBytes(role), content: CAPI.cBytes(content)))
  }
  do throws(EdgeLMError) {
    let name = templateName.map { CAPI.cBytes($0) }
    let template = try ChatTemplate.resolve(name: name, gguf: m.model.gguf)
    let text = try template.apply(chat, addAssistantPrompt: addAssistant != 0)
    try Memory.check("applying the chat template")
    return CAPI.copyOut(text, to: out, capacity: capacity, terminate: true)
  } catch {
    CAPI.setError("edgelm_chat_apply: \(error.message)")
    return Int32.min
  }
}

extension CAPI {
  /// The bytes of a NUL-terminated C string, without the NUL.
  static func cBytes(_ p: UnsafePointer<CChar>) -> [UInt8] {
    var n = 0
    while p[n] != 0 { n += 1 }
    return bytes(p, n)
  }
}
