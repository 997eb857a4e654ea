// What the K-quant reference quantizers share: ports of ggml's
// make_qkx2_quants, make_q3_quants and make_qx_quants (ggml-quants.c) and
// its rounding helpers. The quantizers themselves (quantize_row_q{2..6}_K_ref
// and quantize_row_q8_K_ref) are each type's `quantizeBlock` (Q2_K.swift ...
// Q8_K.swift; q4_K and q5_K in KQuants.swift). The ports keep ggml's
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

/// The search routines of the K-quant quantizers.
enum KQuantizer {
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
}
