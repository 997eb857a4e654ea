// K-quant quantizers, ports of ggml's reference code (ggml-quants.c:
// quantize_row_q{2..6}_K_ref with make_qkx2_quants, make_q3_quants and
// make_qx_quants, and quantize_row_q8_K_ref). The ports keep ggml's
// expression order, so with IEEE float arithmetic and no fused
// multiply-adds (Swift does not contract, and ggml-base is built without
// FMA) they produce the same bytes. q8_K is what activations are converted
// to before a dot product with K-quant weights; llama.cpp's CPU backend uses
// the reference for it (quantize_row_q8_K = quantize_row_q8_K_ref on x86).
// Nothing traps: nearest_int is ggml's bit trick, which gives some integer
// for every float, and integer narrowing truncates like C's conversions.

/// ggml's nearest_int: round to nearest even via the 1.5 * 2^23 trick (exact
/// for |x| < 2^22; other values give what the C code gives).
@inline(__always)
func nearestInt(_ x: Float) -> Int32 {
  let bits = Int32(bitPattern: (x + 12_582_912).bitPattern)
  return (bits & 0x007F_FFFF) &- 0x0040_0000
}

/// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is zero.
let groupMaxEps: Float = 1e-15

@inline(__always)
func clampCode(_ l: Int32, _ lo: Int32, _ hi: Int32) -> Int32 { Swift.max(lo, Swift.min(hi, l)) }

extension QuantKernels {
  /// `quantizeReference` for q2_K...q8_K (`blocks` super-blocks).
  static func quantizeReferenceK(_ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, blocks: Int) {
    for b in 0..<blocks {
      let x = src + 256 * b, y = dst + b * type.blockBytes
      switch type {
      case .q2_K: KQuantizer.q2(x, y)
      case .q3_K: KQuantizer.q3(x, y)
      case .q4_K: KQuantizer.q45(x, y, bits: 4)
      case .q5_K: KQuantizer.q45(x, y, bits: 5)
      case .q6_K: KQuantizer.q6(x, y)
      case .q8_K: KQuantizer.q8(x, y)
      default: return
      }
    }
  }
}

enum KQuantizer {
  // MARK: - q8_K (activations)

  /// quantize_row_q8_K_ref for one super-block: d = max / -127 where max is
  /// the value of largest magnitude, codes nearest_int(x * -127 / max)
  /// capped at 127, bsums of each 16 codes. An all-zero block gets d = 0,
  /// zero codes and zero sums.
  /// The element of largest magnitude (the first of equals) and that
  /// magnitude, as ggml's quantizers find it: (0, 0) for an all-zero row.
  @inline(__always)
  static func signedMax(_ x: UnsafePointer<Float>, count: Int) -> (value: Float, magnitude: Float) {
    var value: Float = 0, magnitude: Float = 0
    for i in 0..<count {
      let ax = abs(x[i])
      if ax > magnitude {
        magnitude = ax
        value = x[i]
      }
    }
    return (value, magnitude)
  }

  static func q8(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    let (maxValue, amax) = signedMax(x, count: 256)
    guard amax != 0 else {
      y.initializeMemory(as: UInt8.self, repeating: 0, count: KLayout.q8Bytes)
      return
    }
    let iscale = -127 / maxValue
    for s in 0..<16 {
      var sum: Int32 = 0
      for j in 16 * s..<16 * s + 16 {
        let q = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * x[j])))
        y.storeBytes(of: q, toByteOffset: KLayout.q8Qs + j, as: Int8.self)
        sum &+= Int32(q)
      }
      y.storeBytes(of: Int16(truncatingIfNeeded: sum), toByteOffset: KLayout.q8BSums + 2 * s, as: Int16.self)
    }
    y.storeBytes(of: 1 / iscale, as: Float.self)
  }

  // MARK: - Helpers (ggml-quants.c)

  /// make_qkx2_quants: codes 0...nmax for x ≈ scale * L - min over a search of
  /// scales. Returns (scale, -min); L gets the codes.
  static func makeQkx2(
    _ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
    _ L: UnsafeMutablePointer<UInt8>, _ aux: UnsafeMutablePointer<UInt8>,
    rmin: Float, rdelta: Float, nstep: Int, useMad: Bool
  ) -> (scale: Float, min: Float) {
    var minValue = x[0], maxValue = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
      if x[i] < minValue { minValue = x[i] }
      if x[i] > maxValue { maxValue = x[i] }
      let w = weights[i]
      sumW += w
      sumX += w * x[i]
    }
    if minValue > 0 { minValue = 0 }
    if maxValue == minValue {
      for i in 0..<n { L[i] = 0 }
      return (0, -minValue)
    }
    var iscale = Float(nmax) / (maxValue - minValue)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
      let l = nearestInt(iscale * (x[i] - minValue))
      L[i] = UInt8(truncatingIfNeeded: clampCode(l, 0, nmax))
      var diff = scale * Float(L[i]) + minValue - x[i]
      diff = useMad ? abs(diff) : diff * diff
      bestError += weights[i] * diff
    }
    if nstep < 1 { return (scale, -minValue) }
    for step in 0...nstep {
      iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (maxValue - minValue)
      var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
      for i in 0..<n {
        let l = clampCode(nearestInt(iscale * (x[i] - minValue)), 0, nmax)
        aux[i] = UInt8(truncatingIfNeeded: l)
        let w = weights[i], fl = Float(l)
        sumL += w * fl
        sumL2 += w * fl * fl
        sumXL += w * fl * x[i]
      }
      let D = sumW * sumL2 - sumL * sumL
      if D > 0 {
        var thisScale = (sumW * sumXL - sumX * sumL) / D
        var thisMin = (sumL2 * sumX - sumL * sumXL) / D
        if thisMin > 0 {
          thisMin = 0
          thisScale = sumXL / sumL2
        }
        var curError: Float = 0
        for i in 0..<n {
          var diff = thisScale * Float(aux[i]) + thisMin - x[i]
          diff = useMad ? abs(diff) : diff * diff
          curError += weights[i] * diff
        }
        if curError < bestError {
          for i in 0..<n { L[i] = aux[i] }
          bestError = curError
          scale = thisScale
          minValue = thisMin
        }
      }
    }
    return (scale, -minValue)
  }

  /// make_qx_quants with rmse_type 1 and no quant weights (w = x * x):
  /// symmetric codes L = l + nmax, l in -nmax...nmax-1. Returns the scale.
  static func makeQx(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
    let (maxValue, amax) = signedMax(x, count: n)
    if amax < groupMaxEps {
      for i in 0..<n { L[i] = 0 }
      return 0
    }
    var iscale = Float(-nmax) / maxValue
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
      let l = clampCode(nearestInt(iscale * x[i]), -nmax, nmax - 1)
      L[i] = Int8(truncatingIfNeeded: l + nmax)
      let w = x[i] * x[i], fl = Float(l)
      sumlx += w * x[i] * fl
      suml2 += w * fl * fl
    }
    var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
    var best = scale * sumlx
    for step in -9...9 where step != 0 {
      iscale = -(Float(nmax) + 0.1 * Float(step)) / maxValue
      sumlx = 0
      suml2 = 0
      for i in 0..<n {
        let fl = Float(clampCode(nearestInt(iscale * x[i]), -nmax, nmax - 1))
        let w = x[i] * x[i]
        sumlx += w * x[i] * fl
        suml2 += w * fl * fl
      }
      if suml2 > 0 && sumlx * sumlx > best * suml2 {
        for i in 0..<n {
          L[i] = Int8(truncatingIfNeeded: nmax + clampCode(nearestInt(iscale * x[i]), -nmax, nmax - 1))
        }
        scale = sumlx / suml2
        best = scale * sumlx
      }
    }
    return scale
  }

  /// make_q3_quants with do_rmse: codes L = l + nmax, l in -nmax...nmax-1,
  /// refined one element at a time. Returns the scale.
  static func makeQ3(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
    let (maxValue, amax) = signedMax(x, count: n)
    if amax < groupMaxEps {
      for i in 0..<n { L[i] = 0 }
      return 0
    }
    let iscale = Float(-nmax) / maxValue
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
      let l = clampCode(nearestInt(iscale * x[i]), -nmax, nmax - 1)
      L[i] = Int8(truncatingIfNeeded: l)
      let w = x[i] * x[i], fl = Float(l)
      sumlx += w * x[i] * fl
      suml2 += w * fl * fl
    }
    for _ in 0..<5 {
      var changed = 0
      for i in 0..<n {
        let w = x[i] * x[i]
        var slx = sumlx - w * x[i] * Float(L[i])
        if slx > 0 {
          var sl2 = suml2 - w * Float(L[i]) * Float(L[i])
          let newL = clampCode(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1)
          if newL != Int32(L[i]) {
            let fl = Float(newL)
            slx += w * x[i] * fl
            sl2 += w * fl * fl
            if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
              L[i] = Int8(truncatingIfNeeded: newL)
              sumlx = slx
              suml2 = sl2
              changed += 1
            }
          }
        }
      }
      if changed == 0 { break }
    }
    for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
    return suml2 > 0 ? sumlx / suml2 : 0
  }

  /// Packs 256 2-bit codes as q2_K/q3_K's qs: byte 32h + l holds elements
  /// 128h + l + 32j in bits 2j...2j+1.
  static func pack2(_ L: UnsafePointer<UInt8>, _ qs: UnsafeMutableRawPointer) {
    for h in 0..<2 {
      for l in 0..<32 {
        let j = 128 * h + l
        let byte = L[j] | (L[j + 32] &<< 2) | (L[j + 64] &<< 4) | (L[j + 96] &<< 6)
        qs.storeBytes(of: byte, toByteOffset: 32 * h + l, as: UInt8.self)
      }
    }
  }

  // MARK: - Weight quantizers

  /// quantize_row_q2_K_ref for one super-block.
  static func q2(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3) { f in
        let L = codes.baseAddress!, aux = L + 256
        let weights = f.baseAddress!, scales = weights + 16, mins = weights + 32
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
          for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
          let r = makeQkx2(16, 3, x + 16 * j, weights, L + 16 * j, aux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
          scales[j] = r.scale
          mins[j] = r.min
          if r.scale > maxScale { maxScale = r.scale }
          if r.min > maxMin { maxMin = r.min }
        }
        let q4scale: Float = 15
        if maxScale > 0 {
          let iscale = q4scale / maxScale
          for j in 0..<16 {
            y.storeBytes(of: UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])), toByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          }
          y.storeBytes(of: Half.fromFloat(maxScale / q4scale), toByteOffset: KLayout.q2D, as: UInt16.self)
        } else {
          for j in 0..<16 { y.storeBytes(of: 0, toByteOffset: KLayout.q2Scales + j, as: UInt8.self) }
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q2D, as: UInt16.self)
        }
        if maxMin > 0 {
          let iscale = q4scale / maxMin
          for j in 0..<16 {
            let old = y.load(fromByteOffset: KLayout.q2Scales + j, as: UInt8.self)
            let l = UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]) &<< 4)
            y.storeBytes(of: old | l, toByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          }
          y.storeBytes(of: Half.fromFloat(maxMin / q4scale), toByteOffset: KLayout.q2DMin, as: UInt16.self)
        } else {
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q2DMin, as: UInt16.self)
        }
        let dAll = loadHalf(y, KLayout.q2D), dMin = loadHalf(y, KLayout.q2DMin)
        for j in 0..<16 {
          let sc = y.load(fromByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          let d = dAll * Float(sc & 0xF)
          if d == 0 { continue }
          let dm = dMin * Float(sc >> 4)
          for ii in 0..<16 {
            L[16 * j + ii] = UInt8(truncatingIfNeeded: clampCode(nearestInt((x[16 * j + ii] + dm) / d), 0, 3))
          }
        }
        pack2(L, y + KLayout.q2Qs)
      }
    }
  }

  /// quantize_row_q3_K_ref for one super-block.
  static func q3(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
        let L = codes.baseAddress!, scales = f.baseAddress!
        var maxScale: Float = 0, amax: Float = 0
        for j in 0..<16 {
          scales[j] = makeQ3(16, 4, x + 16 * j, L + 16 * j)
          let scale = abs(scales[j])
          if scale > amax {
            amax = scale
            maxScale = scales[j]
          }
        }
        let sc = y + KLayout.q3Scales
        for j in 0..<12 { sc.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
        func or(_ i: Int, _ v: UInt8) { sc.storeBytes(of: sc.load(fromByteOffset: i, as: UInt8.self) | v, toByteOffset: i, as: UInt8.self) }
        if maxScale != 0 {
          let iscale = -32 / maxScale
          for j in 0..<16 {
            var l = Int8(truncatingIfNeeded: nearestInt(iscale * scales[j]))
            l = Swift.max(-32, Swift.min(31, l)) + 32
            if j < 8 {
              sc.storeBytes(of: UInt8(bitPattern: l) & 0xF, toByteOffset: j, as: UInt8.self)
            } else {
              or(j - 8, (UInt8(bitPattern: l) & 0xF) &<< 4)
            }
            l >>= 4
            or(j % 4 + 8, UInt8(bitPattern: l) &<< UInt8(2 * (j / 4)))
          }
          y.storeBytes(of: Half.fromFloat(1 / iscale), toByteOffset: KLayout.q3D, as: UInt16.self)
        } else {
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q3D, as: UInt16.self)
        }
        let dAll = loadHalf(y, KLayout.q3D)
        for j in 0..<16 {
          let d = dAll * Float(scaleQ3(j, sc))
          if d == 0 { continue }
          for ii in 0..<16 {
            L[16 * j + ii] = Int8(truncatingIfNeeded: clampCode(nearestInt(x[16 * j + ii] / d), -4, 3) + 4)
          }
        }
        for m in 0..<32 { y.storeBytes(of: 0, toByteOffset: KLayout.q3HMask + m, as: UInt8.self) }
        for j in 0..<256 where L[j] > 3 {
          let m = j % 32
          let old = y.load(fromByteOffset: KLayout.q3HMask + m, as: UInt8.self)
          y.storeBytes(of: old | UInt8(1) &<< UInt8(j / 32), toByteOffset: KLayout.q3HMask + m, as: UInt8.self)
          L[j] -= 4
        }
        L.withMemoryRebound(to: UInt8.self, capacity: 256) { pack2($0, y + KLayout.q3Qs) }
      }
    }
  }

  /// quantize_row_q4_K_ref (bits 4) / quantize_row_q5_K_ref (bits 5) for
  /// one super-block.
  static func q45(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, bits: Int) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 16) { f in
        let L = codes.baseAddress!, aux = L + 256
        let weights = f.baseAddress!, scales = weights + 32, mins = weights + 40
        let nmax: Int32 = bits == 4 ? 15 : 31
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
          var sumX2: Float = 0
          for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
          let avX = (sumX2 / 32).squareRoot()
          for l in 0..<32 { weights[l] = avX + abs(x[32 * j + l]) }
          let r = bits == 4
            ? makeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, aux, rmin: -1, rdelta: 0.1, nstep: 20, useMad: false)
            : makeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, aux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: false)
          scales[j] = r.scale
          mins[j] = r.min
          if r.scale > maxScale { maxScale = r.scale }
          if r.min > maxMin { maxMin = r.min }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let sc = y + KLayout.q4Scales
        func set(_ i: Int, _ v: UInt8) { sc.storeBytes(of: v, toByteOffset: i, as: UInt8.self) }
        func or(_ i: Int, _ v: UInt8) { set(i, sc.load(fromByteOffset: i, as: UInt8.self) | v) }
        for j in 0..<8 {
          let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j])))
          let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j])))
          if j < 4 {
            set(j, ls)
            set(j + 4, lm)
          } else {
            set(j + 4, (ls & 0xF) | ((lm & 0xF) &<< 4))
            or(j - 4, (ls >> 4) &<< 6)
            or(j, (lm >> 4) &<< 6)
          }
        }
        y.storeBytes(of: Half.fromFloat(maxScale / 63), as: UInt16.self)
        y.storeBytes(of: Half.fromFloat(maxMin / 63), toByteOffset: KLayout.q4DMin, as: UInt16.self)
        let dAll = loadHalf(y, 0), dMin = loadHalf(y, KLayout.q4DMin)
        for j in 0..<8 {
          let (s, m) = scaleMinK4(j, sc)
          let d = dAll * Float(s)
          if d == 0 { continue }
          let dm = dMin * Float(m)
          for ii in 0..<32 {
            L[32 * j + ii] = UInt8(truncatingIfNeeded: clampCode(nearestInt((x[32 * j + ii] + dm) / d), 0, nmax))
          }
        }
        if bits == 4 {
          for g in 0..<4 {
            for l in 0..<32 {
              let byte = L[64 * g + l] | (L[64 * g + l + 32] &<< 4)
              y.storeBytes(of: byte, toByteOffset: KLayout.q4Qs + 32 * g + l, as: UInt8.self)
            }
          }
        } else {
          for l in 0..<32 { y.storeBytes(of: 0, toByteOffset: KLayout.q5Qh + l, as: UInt8.self) }
          for g in 0..<4 {
            for l in 0..<32 {
              var l1 = L[64 * g + l], l2 = L[64 * g + l + 32]
              var high = y.load(fromByteOffset: KLayout.q5Qh + l, as: UInt8.self)
              if l1 > 15 {
                l1 -= 16
                high |= UInt8(1) &<< UInt8(2 * g)
              }
              if l2 > 15 {
                l2 -= 16
                high |= UInt8(2) &<< UInt8(2 * g)
              }
              y.storeBytes(of: high, toByteOffset: KLayout.q5Qh + l, as: UInt8.self)
              y.storeBytes(of: l1 | (l2 &<< 4), toByteOffset: KLayout.q5Qs + 32 * g + l, as: UInt8.self)
            }
          }
        }
      }
    }
  }

  /// quantize_row_q6_K_ref for one super-block.
  static func q6(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
        let L = codes.baseAddress!, scales = f.baseAddress!
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for ib in 0..<16 {
          let scale = makeQx(16, 32, x + 16 * ib, L + 16 * ib)
          scales[ib] = scale
          if abs(scale) > maxAbsScale {
            maxAbsScale = abs(scale)
            maxScale = scale
          }
        }
        if maxAbsScale < groupMaxEps {
          y.initializeMemory(as: UInt8.self, repeating: 0, count: KLayout.q6Bytes)
          return
        }
        let iscale = -128 / maxScale
        y.storeBytes(of: Half.fromFloat(1 / iscale), toByteOffset: KLayout.q6D, as: UInt16.self)
        for ib in 0..<16 {
          let s = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib])))
          y.storeBytes(of: s, toByteOffset: KLayout.q6Scales + ib, as: Int8.self)
        }
        let dAll = loadHalf(y, KLayout.q6D)
        for j in 0..<16 {
          let d = dAll * Float(y.load(fromByteOffset: KLayout.q6Scales + j, as: Int8.self))
          if d == 0 { continue }
          for ii in 0..<16 {
            L[16 * j + ii] = Int8(truncatingIfNeeded: clampCode(nearestInt(x[16 * j + ii] / d), -32, 31) + 32)
          }
        }
        L.withMemoryRebound(to: UInt8.self, capacity: 256) { L in
          for h in 0..<2 {
            for l in 0..<32 {
              let j = 128 * h + l
              let q1 = L[j] & 0xF, q2 = L[j + 32] & 0xF, q3 = L[j + 64] & 0xF, q4 = L[j + 96] & 0xF
              y.storeBytes(of: q1 | (q3 &<< 4), toByteOffset: KLayout.q6Ql + 64 * h + l, as: UInt8.self)
              y.storeBytes(of: q2 | (q4 &<< 4), toByteOffset: KLayout.q6Ql + 64 * h + l + 32, as: UInt8.self)
              let high = (L[j] >> 4) | ((L[j + 32] >> 4) &<< 2) | ((L[j + 64] >> 4) &<< 4) | ((L[j + 96] >> 4) &<< 6)
              y.storeBytes(of: high, toByteOffset: KLayout.q6Qh + 32 * h + l, as: UInt8.self)
            }
          }
        }
      }
    }
  }
}
