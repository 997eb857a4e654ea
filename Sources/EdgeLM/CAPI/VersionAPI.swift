// @_cdecl thunks: versions, status strings, the last error.

import CEdgeSys

/// `EDGELM_VERSION_NUMBER` of this library (X*1000000 + Y*1000 + Z).
public let edgelmVersionNumber: UInt32 = 1000
/// `EDGELM_ABI_VERSION` of this library.
public let edgelmABIVersion: UInt32 = 1

/// The corresponding C function is `edgelm_version_number`.
@_cdecl("edgelm_version_number")
public func edgelm_version_number() -> UInt32 { edgelmVersionNumber }

/// The corresponding C function is `edgelm_abi_version`.
@_cdecl("edgelm_abi_version")
public func edgelm_abi_version() -> UInt32 { edgelmABIVersion }

/// The corresponding C function is `edgelm_status_string`.
@_cdecl("edgelm_status_string")
public func edgelm_status_string(_ status: Int32) -> UnsafePointer<CChar> {
  let text: StaticString = EdgeLMStatus(rawValue: status)?.description ?? "unknown status"
  return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The corresponding C function is `edgelm_last_error`.
@_cdecl("edgelm_last_error")
public func edgelm_last_error() -> UnsafePointer<CChar> {
  edgelm_sys_last_error()
}
