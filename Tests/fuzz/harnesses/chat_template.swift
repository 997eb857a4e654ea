// libFuzzer target: a chat template and a conversation from an untrusted
// source, as `edgelm_chat_apply` takes them: the template text (a model's
// `tokenizer.chat_template`, or a name) recognised by ChatTemplate.detect,
// then the messages rendered with it and with one built-in template.
//
// Input: byte 0 holds flags, the rest is NUL-separated fields (C strings
// cannot hold a NUL, so neither can a field):
//   flags bit 0     add the assistant prompt
//   flags bits 1-7  which built-in template (ChatTemplate.all, modulo its
//                   count) renders the messages besides the detected one
//   field 0         the template text or name
//   fields 1, 2...  role, content, role, content, ... (a role without a
//                   content gets an empty one)
// Unknown templates and roles must be rejected with an EdgeLMError; a trap,
// an ASan report, a leak or a timeout is a finding. Every rendered prompt
// must contain each message's content, trimmed of C white space as some
// formats trim it; except, as in llama.cpp, a Gemma system message with no
// user message after it (Gemma has no system turn: system texts go into the
// next user turn, and without one they are dropped).
//
// Built and run by Tests/fuzz/run.sh (seeds: Tests/fuzz/corpus/chat_template,
// dictionary: Tests/fuzz/dicts/chat_template.dict).

@testable import EdgeLM

/// libFuzzer's entry: one template and conversation per call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data, size > 0 else { return 0 }
  let flags = data[0]
  let fields = UnsafeBufferPointer(start: data + 1, count: size - 1)
    .split(separator: 0, omittingEmptySubsequences: false).map { Array($0) }
  let templateText = fields[0]
  var messages: [ChatMessage] = []
  var f = 1
  while f < fields.count {
    messages.append(ChatMessage(role: fields[f], content: f + 1 < fields.count ? fields[f + 1] : []))
    f += 2
  }
  let addAssistant = flags & 1 != 0
  let builtIn = ChatTemplate.all[Int(flags >> 1) % ChatTemplate.all.count]

  var templates = [builtIn]
  if let detected = try? ChatTemplate.detect(from: templateText) { templates.append(detected) }
  for template in templates {
    guard let prompt = try? template.apply(messages, addAssistantPrompt: addAssistant) else { continue }
    for (i, m) in messages.enumerated() where !contains(prompt, ChatTemplate.trimmed(m.content)) {
      if template == .gemma && ChatRole(m.role) == .system
        && !messages[(i + 1)...].contains(where: { ChatRole($0.role) == .user }) {
        continue
      }
      fatalError("\(template.name): the prompt lost the content of message \(i)")
    }
  }
  return 0
}

/// Whether `needle` occurs in `haystack` (the empty needle always does).
private func contains(_ haystack: [UInt8], _ needle: ArraySlice<UInt8>) -> Bool {
  if needle.isEmpty { return true }
  guard haystack.count >= needle.count else { return false }
  let first = needle.first!
  for start in 0...(haystack.count - needle.count) where haystack[start] == first {
    if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
  }
  return false
}
