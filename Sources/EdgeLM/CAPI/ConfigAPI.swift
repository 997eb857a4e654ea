// @_cdecl thunks: the JSON config.

/// The corresponding C function is `edgelm_config_parse`.
@_cdecl("edgelm_config_parse")
public func edgelm_config_parse(
  _ json: UnsafePointer<CChar>?, _ len: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  guard let out else { return CAPI.invalid("edgelm_config_parse: out is NULL") }
  out.pointee = nil
  guard let json else { return CAPI.invalid("edgelm_config_parse: json is NULL") }
  guard len >= 0 else { return CAPI.invalid("edgelm_config_parse: len is too large") }
  CAPI.beginCall()
  do {
    let config = try RuntimeConfig.parse(UnsafeRawBufferPointer(start: json, count: len))
    let handle = ConfigHandle(config)
    try Memory.check("in edgelm_config_parse")
    out.pointee = CAPI.retain(handle)
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_config_load`.
@_cdecl("edgelm_config_load")
public func edgelm_config_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guard let out else { return CAPI.invalid("edgelm_config_load: out is NULL") }
  out.pointee = nil
  guard let path else { return CAPI.invalid("edgelm_config_load: path is NULL") }
  CAPI.beginCall()
  do {
    let config = try RuntimeConfig.load(path: CAPI.string(path))
    let handle = ConfigHandle(config)
    try Memory.check("in edgelm_config_load")
    out.pointee = CAPI.retain(handle)
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_config_free`.
@_cdecl("edgelm_config_free")
public func edgelm_config_free(_ config: OpaquePointer?) {
  if let config { CAPI.release(config, as: ConfigHandle.self) }
}

extension CAPI {
  static func config(_ handle: OpaquePointer?) -> RuntimeConfig {
    guard let handle else { return RuntimeConfig() }
    return borrow(handle, as: ConfigHandle.self).config
  }
}
