#if canImport(Glibc)
import Glibc
#endif

/// The Swift runtime's demangler (a C entry point of every Swift runtime), linked directly:
/// a binary built with `--static-swift-stdlib` has it but does not export it, so `dlsym`
/// would not find it there.
@_silgen_name("swift_demangle")
private func swiftRuntimeDemangle(
    _ mangledName: UnsafePointer<CChar>?, _ mangledNameLength: Int, _ outputBuffer: UnsafeMutablePointer<CChar>?,
    _ outputBufferSize: UnsafeMutablePointer<Int>?, _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?

/// Demangles Swift names with the Swift runtime's `swift_demangle` and C++ names with
/// `__cxa_demangle` (found at run time with `dlsym`). Names neither recognises are
/// returned unchanged.
public enum Demangler {
    private typealias CxaDemangle = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int32>?
    ) -> UnsafeMutablePointer<CChar>?

    private static let cxaDemangle: CxaDemangle? = lookup("__cxa_demangle", as: CxaDemangle.self)

    private static func lookup<T>(_ name: String, as type: T.Type) -> T? {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }   // RTLD_DEFAULT
        return unsafeBitCast(p, to: type)
    }

    /// Whether `name` looks like a Swift mangled symbol (`$s`, `$S`, `$e`, `_T0`, ...).
    public static func isSwiftMangled(_ name: String) -> Bool {
        name.hasPrefix("$s") || name.hasPrefix("$S") || name.hasPrefix("$e") || name.hasPrefix("_$s")
            || name.hasPrefix("_$S") || name.hasPrefix("_$e") || name.hasPrefix("_T0") || name.hasPrefix("@__swiftmacro_")
    }

    /// Whether `name` looks like an Itanium C++ mangled symbol.
    public static func isCxxMangled(_ name: String) -> Bool {
        name.hasPrefix("_Z") || name.hasPrefix("___Z")
    }

    /// The readable form of a linker name: Swift and C++ names demangled, symbol versions
    /// (`realpath@@GLIBC_2.3`) dropped, others unchanged.
    public static func demangle(_ name: String) -> String {
        if !isSwiftMangled(name), let at = name.firstIndex(of: "@"), at != name.startIndex {
            return demangle(String(name[..<at]))
        }
        if isSwiftMangled(name) {
            let result: String? = name.withCString { p in
                guard let out = swiftRuntimeDemangle(p, strlen(p), nil, nil, 0) else { return nil }
                defer { free(out) }
                return String(cString: out)
            }
            if let result { return SwiftTypeSugar.apply(result) }
        }
        if isCxxMangled(name), let cxaDemangle {
            let result: String? = name.withCString { p in
                var status: Int32 = 0
                guard let out = cxaDemangle(p, nil, nil, &status), status == 0 else { return nil }
                defer { free(out) }
                return String(cString: out)
            }
            if let result { return result }
        }
        return name
    }

    /// A shorter display form of a demangled name (see `SwiftNameSimplifier`); names that
    /// were not Swift symbols are returned unchanged.
    public static func simplified(_ demangled: String, mangledName: String) -> String {
        isSwiftMangled(mangledName) ? SwiftNameSimplifier.simplify(demangled) : demangled
    }
}
