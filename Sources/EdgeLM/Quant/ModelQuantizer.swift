// `edgelm quantize`: rewrites a GGUF model with its weight matrices in
// another type, the way llama-quantize does (types chosen by
// QuantizePlan.swift). Metadata is copied, with general.file_type set to the
// target's llama_ftype and general.quantization_version to 2; a converted
// tensor is dequantized to f32 row by row and quantized with ggml's
// reference quantizers (quantize_row_*_ref, what llama-quantize calls
// without an importance matrix), so the blocks equal llama-quantize's.
//
// The output is streamed: header first, then each tensor in chunks of rows,
// so memory stays at one chunk (a few MiB) plus one f32 row per thread. It
// is written to OUT.tmp and renamed over OUT only when complete; on any
// error the temporary file is removed.

/// Settings of `ModelQuantizer.quantize`.
public struct QuantizeOptions: Sendable {
  /// Threads converting rows (the caller's thread included).
  public var threads: Int
  /// llama-quantize's `--pure`: every converted tensor gets the target's
  /// default type (no q6_K output, no K mixture; fallbacks still apply).
  public var pure: Bool

  public init(threads: Int = 1, pure: Bool = false) {
    self.threads = threads
    self.pure = pure
  }
}

/// Where a quantization run is, for a progress display.
public struct QuantizeProgress: Sendable {
  /// Index of the tensor being written and the number of tensors.
  public let tensorIndex: Int
  public let tensorCount: Int
  public let tensor: TensorQuantizePlan
  /// Bytes of input tensor data processed so far, of `totalInputBytes`.
  public let inputBytesDone: Int
  public let totalInputBytes: Int
  /// True once this tensor is complete (one report per tensor has it).
  public let tensorDone: Bool
}

/// What a quantization run did.
public struct QuantizeSummary: Sendable {
  public let inputFileBytes: Int
  public let outputFileBytes: Int
  public let tensorCount: Int
  /// Tensors converted to another type; the others were copied.
  public let convertedCount: Int
  /// Tensors whose chosen type did not fit their rows (see TensorQuantizePlan.fallbackFrom).
  public let fallbackCount: Int
  public let seconds: Double
  /// The plan that was carried out, in file order.
  public let plan: [TensorQuantizePlan]
}

public enum ModelQuantizer {
  /// The metadata value of `general.quantization_version` (GGML_QNT_VERSION).
  public static let quantizationVersion: UInt32 = 2
  /// Largest chunk of output rows converted and written at once.
  static let chunkBytes = 4 << 20

  /// Quantizes the model at `input` into `output` for `target`.
  /// - Parameters:
  ///   - progress: called on the calling thread after each chunk of rows.
  /// - Returns: sizes, counts and time.
  /// - Throws: `.invalidArgument` if `output` is `input` (same path or the
  ///   same file); `.io` naming the path when reading or writing fails;
  ///   `.format` for a malformed input; `.unsupported` naming a tensor whose
  ///   type cannot be converted. `output` is untouched on error.
  public static func quantize(
    input: String, output: String, target: QuantizeTarget, options: QuantizeOptions = QuantizeOptions(),
    progress: (QuantizeProgress) -> Void = { _ in }
  ) throws(EdgeLMError) -> QuantizeSummary {
    let t0 = Clock.nanoseconds()
    guard input != output && !FileIO.sameFile(input, output) else {
      throw EdgeLMError(.invalidArgument, "the output '\(output)' is the input file; choose another output path")
    }
    let file = try GGUFFile.open(path: input)
    let plan = try QuantizePlanner.plan(file, target: target, pure: options.pure)
    for p in plan where p.converts && !p.inputType.canDequantize {
      throw EdgeLMError(.unsupported, "tensor '\(p.name)' is \(p.inputType.name), which cannot be converted to \(p.outputType.name) (no dequantization for \(p.inputType.name))")
    }

    // Layout: the input's metadata with the file type updated.
    var layout = GGUFWriter(alignment: file.alignment)
    for entry in file.metadata {
      switch entry.key {
      case "split.no", "split.count", "split.tensors.count": continue
      default: layout.add(entry.key, entry.value)
      }
    }
    layout.add("general.quantization_version", .uint32(quantizationVersion))
    layout.add("general.file_type", .uint32(target.fileType))
    for p in plan { try layout.declareTensor(name: p.name, type: p.outputType, dims: p.dims) }

    let temporary = output + ".tmp"
    do throws(EdgeLMError) {
      let writer = try GGUFStreamWriter.create(path: temporary, layout: layout)
      try write(file, plan, writer, threads: options.threads, progress: progress)
      let size = try writer.finish()
      try FileIO.rename(from: temporary, to: output)
      var converted = 0, fallbacks = 0
      for p in plan {
        if p.converts { converted += 1 }
        if p.fallbackFrom != nil { fallbacks += 1 }
      }
      return QuantizeSummary(
        inputFileBytes: file.fileSize, outputFileBytes: size, tensorCount: plan.count, convertedCount: converted,
        fallbackCount: fallbacks, seconds: Double(Clock.nanoseconds() - t0) / 1e9, plan: plan)
    } catch {
      FileIO.remove(path: temporary)
      throw error
    }
  }

  /// Writes every tensor's data in order.
  static func write(
    _ file: GGUFFile, _ plan: [TensorQuantizePlan], _ writer: GGUFStreamWriter, threads: Int,
    progress: (QuantizeProgress) -> Void
  ) throws(EdgeLMError) {
    var totalInput = 0
    for t in file.tensors { totalInput += t.byteCount }
    var done = 0
    var maxRow = 0
    for p in plan where p.converts { maxRow = max(maxRow, p.dims[0]) }
    let pool = try ThreadPool(threadCount: max(1, min(threads, 256)))
    // (worker, row length): one f32 row per worker.
    let scratch = try AlignedBuffer<Float>.allocate(count: max(1, maxRow) * pool.threadCount)
    var chunk: AlignedBuffer<UInt8>? = nil

    // Input pages already processed leave the resident set, so peak RSS
    // stays near one tensor rather than the whole mapped input.
    func release(_ info: GGUFTensorInfo, _ start: Int, _ count: Int) {
      file.mapping?.release(offset: file.dataOffset + info.offset + start, count: count)
    }
    for (index, p) in plan.enumerated() {
      let info = file.tensors[index]
      let source = file.tensorData(info)
      func report(_ bytes: Int, _ complete: Bool) {
        progress(QuantizeProgress(
          tensorIndex: index, tensorCount: plan.count, tensor: p, inputBytesDone: bytes,
          totalInputBytes: totalInput, tensorDone: complete))
      }
      if !p.converts {
        // Copy in pieces so progress moves on big tensors.
        var offset = 0
        while offset < info.byteCount {
          let n = min(info.byteCount - offset, 4 * chunkBytes)
          try writer.append(UnsafeRawBufferPointer(start: source + offset, count: n))
          release(info, offset, n)
          offset += n
          report(done + offset, offset == info.byteCount)
        }
        done += info.byteCount
        continue
      }
      let rowLength = p.dims[0]
      let inRow = info.rowBytes
      guard let outRow = p.outputType.rowBytes(rowLength), inRow > 0 else {
        throw EdgeLMError(.internal, "quantize: tensor '\(p.name)' row of \(rowLength) does not fit \(p.outputType.name) blocks")
      }
      let rows = info.rowCount
      let chunkRows = max(1, min(rows, chunkBytes / outRow))
      if chunk == nil || chunk!.count < chunkRows * outRow {
        chunk = try AlignedBuffer<UInt8>.allocate(count: max(chunkBytes, chunkRows * outRow))
      }
      let out = chunk!.raw
      let floats = scratch.pointer
      let inType = p.inputType, outType = p.outputType
      var row = 0
      while row < rows {
        let n = min(chunkRows, rows - row)
        let first = row
        pool.parallelForWorker(n) { worker, range in
          let f = floats + worker * rowLength
          for r in range {
            QuantKernels.dequantize(inType, source + (first + r) * inRow, f, count: rowLength)
            QuantKernels.quantizeReference(outType, f, out + r * outRow, count: rowLength)
          }
        }
        try writer.append(UnsafeRawBufferPointer(start: out, count: n * outRow))
        release(info, first * inRow, n * inRow)
        row += n
        report(done + row * inRow, row == rows)
      }
      done += info.byteCount
    }
  }
}
