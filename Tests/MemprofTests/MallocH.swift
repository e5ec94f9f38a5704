#if canImport(Glibc)
import Glibc
#endif

// memalign, pvalloc and malloc_usable_size live in <malloc.h>, which the Glibc module does
// not export: reach them through dlsym.
typealias AlignFn = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
typealias SizeFn = @convention(c) (Int) -> UnsafeMutableRawPointer?
typealias UsableFn = @convention(c) (UnsafeMutableRawPointer?) -> Int

private func symbol<T>(_ name: String, as type: T.Type) -> T {
    unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)!, to: type)
}

let cMemalign = symbol("memalign", as: AlignFn.self)
let cPvalloc = symbol("pvalloc", as: SizeFn.self)
let malloc_usable_size = symbol("malloc_usable_size", as: UsableFn.self)
