#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Number and text formatting that matches Go's `fmt` package where pprof's output depends
/// on it. C's `printf` rounds `%f` and `%g` exactly like Go (correctly rounded, trailing zeros
/// of `%g` removed, at least two exponent digits), so it is used for floating point.
enum GoFormat {
    /// `%<width>.<precision>f`.
    static func fixed(_ value: Double, precision: Int, width: Int = 0) -> String {
        cFormat("%\(width).\(precision)f", value)
    }

    /// `%<width>.<precision>g`.
    static func general(_ value: Double, precision: Int, width: Int = 0) -> String {
        cFormat("%\(width).\(precision)g", value)
    }

    private static func cFormat(_ format: String, _ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        var size = 64
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let n = withVaList([value]) { args in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, size, format, args) }
            }
            if n < 0 { return "" }
            if Int(n) < size {
                return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size = Int(n) + 1
        }
    }

    /// `%<width>s`: right-aligned, padded with spaces, width counted in Unicode scalars (Go
    /// counts runes).
    static func pad(_ s: String, width: Int) -> String {
        let n = s.unicodeScalars.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    /// `%-<width>s`: left-aligned.
    static func padRight(_ s: String, width: Int) -> String {
        let n = s.unicodeScalars.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    /// `%016x`.
    static func hex16(_ v: UInt64) -> String {
        let h = String(v, radix: 16)
        return h.count >= 16 ? h : String(repeating: "0", count: 16 - h.count) + h
    }
}

extension String {
    /// Go's string ordering: bytewise on UTF-8.
    @inline(__always)
    func goLess(_ other: String) -> Bool {
        self.utf8.lexicographicallyPrecedes(other.utf8)
    }
}
