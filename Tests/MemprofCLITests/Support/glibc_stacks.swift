// A Swift program whose allocations happen inside glibc (built without frame pointers):
// stdio buffers, the resolver, and a qsort comparison closure that allocates. The stack
// tests check that each allocation's stack reaches main through the glibc frames.
#if canImport(Glibc)
import Glibc
#endif

@inline(never) func openFiles(_ count: Int) -> [UnsafeMutablePointer<FILE>] {
    var files: [UnsafeMutablePointer<FILE>] = []
    for _ in 0..<count {
        guard let f = fopen("/proc/self/stat", "r") else { fatalError("fopen") }
        // The first read makes stdio allocate the file's buffer (_IO_file_doallocate).
        _ = fgetc(f)
        files.append(f)
    }
    return files
}

@inline(never) func resolveNames(_ rounds: Int) -> Int {
    var found = 0
    for _ in 0..<rounds {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        if getaddrinfo("localhost", "80", &hints, &result) == 0 {
            var p = result
            while let a = p { found += 1; p = a.pointee.ai_next }
            freeaddrinfo(result)
        }
    }
    return found
}

nonisolated(unsafe) var lastScratch: UnsafeMutableRawPointer?

@inline(never) func sortWithAlloc(_ count: Int) -> Int32 {
    var values = (0..<Int32(count)).map { ($0 &* 7919) % Int32(count) }
    values.withUnsafeMutableBufferPointer { buffer in
        qsort(buffer.baseAddress!, buffer.count, MemoryLayout<Int32>.stride) { a, b in
            // Each comparison allocates 4 KiB through malloc, called from the closure; the
            // block is kept until the next comparison so the optimizer cannot drop the pair.
            free(lastScratch)
            lastScratch = malloc(4096)
            let x = a!.load(as: Int32.self), y = b!.load(as: Int32.self)
            return x < y ? -1 : (x > y ? 1 : 0)
        }
    }
    free(lastScratch)
    lastScratch = nil
    return values[0]
}

let files = openFiles(200)
let names = resolveNames(20)
let first = sortWithAlloc(2000)
for f in files { fclose(f) }
print("files \(files.count) addresses \(names) first \(first)")
