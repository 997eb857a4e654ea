import Foundation
import Testing
@testable import EdgeLM

/// llama.cpp's chat template application for SmolLM2 (ChatML, detected
/// from its GGUF) and Gemma 3 (the built-in "gemma" template: the 270M file
/// has no template), made by Tests/Fixtures/make_chat_fixtures.py.
enum ChatFixture {
  struct Case {
    var name: String
    var addAssistant: Bool
    var messages: [ChatMessage]
    var formatted: [UInt8]
    var tokenIDs: [Int32]
  }

  struct ModelCases {
    var file: String
    var chatTemplate: String?
    var templateApplied: String
    var cases: [Case]
  }

  static let parsed: Result<[String: ModelCases], any Error> = Result {
    let data = try TestPaths.fixture("chat_templates.json")
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let models = try #require(root["models"] as? [String: [String: Any]])
    var out: [String: ModelCases] = [:]
    for (key, m) in models {
      var cases: [Case] = []
      for c in try #require(m["cases"] as? [[String: Any]]) {
        var messages: [ChatMessage] = []
        for msg in try #require(c["messages"] as? [[String: String]]) {
          messages.append(ChatMessage(role: msg["role"]!, content: msg["content"]!))
        }
        cases.append(Case(
          name: try #require(c["name"] as? String),
          addAssistant: try #require(c["add_assistant"] as? Bool),
          messages: messages,
          formatted: Array(try #require(c["formatted"] as? String).utf8),
          tokenIDs: try #require(c["token_ids"] as? [Int]).map { Int32($0) }))
      }
      out[key] = ModelCases(
        file: try #require(m["file"] as? String),
        chatTemplate: m["chat_template"] as? String,
        templateApplied: try #require(m["template_applied"] as? String),
        cases: cases)
    }
    return out
  }

  static func model(_ key: String) throws -> ModelCases {
    try #require(try parsed.get()[key])
  }

  static func show(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self).debugDescription }
}

@Suite struct ChatTemplateTests {
  // MARK: - Formatted text equals llama.cpp's

  @Test func smolLM2FormattedTextEqualsLlamaCpp() throws {
    let fixture = try ChatFixture.model("smollm2")
    let file = try GGUFFile.open(path: TestPaths.model(TestPaths.smollm2Name))
    let template = try ChatTemplate.detect(in: file)
    #expect(template == .chatml)
    #expect(fixture.cases.count >= 20)
    for c in fixture.cases {
      let text = try template.apply(c.messages, addAssistantPrompt: c.addAssistant)
      #expect(text == c.formatted, "\(c.name) add_assistant=\(c.addAssistant): \(ChatFixture.show(text))")
    }
  }

  @Test func gemmaFormattedTextEqualsLlamaCpp() throws {
    let fixture = try ChatFixture.model("gemma3")
    #expect(fixture.chatTemplate == nil)
    #expect(fixture.templateApplied == "gemma")
    let template = try ChatTemplate(named: "gemma")
    for c in fixture.cases {
      let text = try template.apply(c.messages, addAssistantPrompt: c.addAssistant)
      #expect(text == c.formatted, "\(c.name) add_assistant=\(c.addAssistant): \(ChatFixture.show(text))")
    }
  }

  // MARK: - Token ids equal llama.cpp's

  @Test func smolLM2TokenIDsEqualLlamaCpp() throws {
    let fixture = try ChatFixture.model("smollm2")
    let tokenizer = try SmolLM2Tokenizer.tokenizer()
    for c in fixture.cases {
      let text = try ChatTemplate.chatml.apply(c.messages, addAssistantPrompt: c.addAssistant)
      let ids = tokenizer.tokenize(text, addSpecial: true, parseSpecial: true)
      #expect(ids == c.tokenIDs, "\(c.name) add_assistant=\(c.addAssistant)")
    }
  }

  @Test func gemmaTokenIDsEqualLlamaCpp() throws {
    let fixture = try ChatFixture.model("gemma3")
    let file = try GGUFFile.open(path: TestPaths.model(TestPaths.gemma3Name))
    let tokenizer = try Tokenizer(vocabulary: Vocabulary(gguf: file))
    for c in fixture.cases {
      let text = try ChatTemplate.gemma.apply(c.messages, addAssistantPrompt: c.addAssistant)
      let ids = tokenizer.tokenize(text, addSpecial: true, parseSpecial: true)
      #expect(ids == c.tokenIDs, "\(c.name) add_assistant=\(c.addAssistant)")
    }
  }

  // MARK: - Detection

  @Test func detectsTheRealModelsTemplates() throws {
    let smol = try GGUFFile.open(path: TestPaths.model(TestPaths.smollm2Name))
    #expect(try ChatTemplate.detect(in: smol) == .chatml)
    #expect(try ChatTemplate.resolve(name: nil, gguf: smol) == .chatml)
    #expect(try ChatTemplate.resolve(name: Array("gemma".utf8), gguf: smol) == .gemma)

    // The Gemma 3 270M file is a base model without a template: the error
    // says so and lists the names to pass.
    let gemma = try GGUFFile.open(path: TestPaths.model(TestPaths.gemma3Name))
    do {
      _ = try ChatTemplate.detect(in: gemma)
      Issue.record("expected an error for a model without a chat template")
    } catch {
      #expect(error.status == .unsupported)
      #expect(error.message.contains("tokenizer.chat_template"))
      #expect(error.message.contains("chatml, gemma, llama3"))
    }
  }

  @Test func detectsEachFormatFromJinjaSnippets() throws {
    let cases: [(String, ChatTemplate)] = [
      ("{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}", .chatml),
      ("{{'<|im_start|>' + message['role'] + '<|im_sep|>' + message['content'] + '<|im_end|>'}}", .phi4),
      ("{{ bos_token }}{% for m in messages %}<start_of_turn>{{ role }}\n{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}", .gemma),
      ("{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}", .llama3),
      ("{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n'}}{{ '<|assistant|>\n' }}", .phi3),
      ("{{ '[INST] ' + message['content'] + ' [/INST]' }}", .llama2),
      ("{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}", .llama2SysBos),
      ("{{ '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}", .llama2Sys),
      ("{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }} <<SYS>>", .llama2SysStrip),
      ("{{ '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}{{ '[INST]' }}", .mistralV7),
      ("{{ ' [INST] ' + system_message }}[INST]", .mistralV1),
      ("[AVAILABLE_TOOLS] {{ \"[INST]\" }}", .mistralV3Tekken),
      ("[AVAILABLE_TOOLS] {{ '[INST]' }}", .mistralV3),
      ("chatml", .chatml), ("gemma", .gemma), ("llama3", .llama3), ("mistral-v7-tekken", .mistralV7Tekken),
    ]
    for (text, expected) in cases {
      #expect(try ChatTemplate.detect(from: Array(text.utf8)) == expected, "\(text)")
    }
  }

  @Test func recognisedButUnsupportedFormatsAreNamed() {
    let cases: [(String, String)] = [
      ("<|user|>\n{{ content }}<|endoftext|>", "zephyr"),
      ("<|im_start|>User:{{ c }}<end_of_utterance>", "smolvlm"),
      ("<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "command-r"),
    ]
    for (text, family) in cases {
      do {
        _ = try ChatTemplate.detect(from: Array(text.utf8))
        Issue.record("expected \(family) to be unsupported")
      } catch {
        #expect(error.status == .unsupported)
        #expect(error.message.contains("'\(family)'"), "\(error.message)")
        #expect(error.message.contains("chatml"))
      }
    }
  }

  // MARK: - Names and errors

  @Test func namesRoundTrip() throws {
    for t in ChatTemplate.all {
      #expect(try ChatTemplate(named: t.name) == t)
    }
    #expect(ChatTemplate.supportedNames.hasPrefix("chatml, gemma, llama3, phi3"))
  }

  @Test func unknownNamesAndTemplatesAreUnsupported() {
    for text in ["chatml2", "{% for message in messages %}{{ message['content'] }}{% endfor %}"] {
      do {
        _ = try ChatTemplate.detect(from: Array(text.utf8))
        Issue.record("expected an error for \(text)")
      } catch {
        #expect(error.status == .unsupported)
        #expect(error.message.contains("chatml, gemma, llama3"), "\(error.message)")
      }
    }
    do {
      _ = try ChatTemplate(named: "vicuna")
      Issue.record("expected an error")
    } catch {
      #expect(error.status == .unsupported)
      #expect(error.message.contains("'vicuna'") && error.message.contains("mistral-v7"))
    }
  }

  @Test func badMessagesAreRejected() {
    do {
      _ = try ChatTemplate.chatml.apply([], addAssistantPrompt: true)
      Issue.record("expected an error for no messages")
    } catch {
      #expect(error.status == .invalidArgument)
    }
    let chat = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "tool", content: "b")]
    do {
      _ = try ChatTemplate.chatml.apply(chat, addAssistantPrompt: true)
      Issue.record("expected an error for role 'tool'")
    } catch {
      #expect(error.status == .invalidArgument)
      #expect(error.message.contains("chat message 1") && error.message.contains("'tool'"), "\(error.message)")
    }
  }

  // MARK: - The other formats (strings from llama.cpp's llama-chat.cpp)

  @Test func otherFormats() throws {
    let chat = [
      ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: " U1 "),
      ChatMessage(role: "assistant", content: " A1 "), ChatMessage(role: "user", content: "U2"),
    ]
    func render(_ t: ChatTemplate) throws -> String {
      String(decoding: try t.apply(chat, addAssistantPrompt: true), as: UTF8.self)
    }
    #expect(try render(.llama3) == "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    #expect(try render(.phi3) == "<|system|>\nS<|end|>\n<|user|>\n U1 <|end|>\n<|assistant|>\n A1 <|end|>\n<|user|>\nU2<|end|>\n<|assistant|>\n")
    #expect(try render(.phi4) == "<|im_start|>system<|im_sep|>S<|im_end|><|im_start|>user<|im_sep|> U1 <|im_end|><|im_start|>assistant<|im_sep|> A1 <|im_end|><|im_start|>user<|im_sep|>U2<|im_end|><|im_start|>assistant<|im_sep|>")
    #expect(try render(.mistralV7) == "[SYSTEM_PROMPT] S[/SYSTEM_PROMPT][INST]  U1 [/INST]  A1 </s>[INST] U2[/INST]")
    #expect(try render(.mistralV7Tekken) == "[SYSTEM_PROMPT]S[/SYSTEM_PROMPT][INST] U1 [/INST] A1 </s>[INST]U2[/INST]")
    #expect(try render(.mistralV1) == " [INST] S\n\n U1  [/INST]  A1 </s> [INST] U2 [/INST]")
    #expect(try render(.mistralV3) == "[INST] S\n\n U1 [/INST] A1</s>[INST] U2[/INST]")
    #expect(try render(.mistralV3Tekken) == "[INST]S\n\n U1 [/INST] A1 </s>[INST]U2[/INST]")
    #expect(try render(.llama2) == "[INST] S\n U1  [/INST] A1 </s>[INST] U2 [/INST]")
    #expect(try render(.llama2Sys) == "[INST] <<SYS>>\nS\n<</SYS>>\n\n U1  [/INST] A1 </s>[INST] U2 [/INST]")
    #expect(try render(.llama2SysBos) == "[INST] <<SYS>>\nS\n<</SYS>>\n\n U1  [/INST] A1 </s><s>[INST] U2 [/INST]")
    #expect(try render(.llama2SysStrip) == "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST]A1</s>[INST] U2 [/INST]")
  }
}
