import Foundation
import PackagePlugin

/// Builds `libmemprof_preload.so` from the C sources of CMemprofHook with the toolchain's
/// clang, as a resource of the target it is applied to (the `memprof` CLI).
///
/// SwiftPM's own `.dynamic` product (`MemprofPreload`) links the Swift runtime (swiftrt.o
/// needs `swift_addNewDSOImage`), so preloading it into a C or Python program would load
/// libswiftCore and count its start-up allocations. This copy depends on libc only.
@main
struct BuildPreloadLibrary: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let clang = try context.tool(named: "clang")
        let hook = context.package.directoryURL.appending(path: "Sources/CMemprofHook")
        // Every C file and header of the hook, read from its folder: a new file needs no
        // change here, and a changed header rebuilds the library.
        let files = try FileManager.default.contentsOfDirectory(atPath: hook.path).sorted()
            .map { hook.appending(path: $0) }
        let sources = files.filter { $0.pathExtension == "c" }
        let headers = files.filter { ["h", "def"].contains($0.pathExtension) } + [hook.appending(path: "include/memprof_hook.h")]
        let output = context.pluginWorkDirectoryURL.appending(path: "libmemprof_preload.so")
        var arguments = [
            // Leaf functions without a frame: free() (tail calls only) saves three
            // instructions a call; stack walks start from a hook frame that calls on.
            // -fno-plt: glibc's entry points are called through the GOT, not a PLT stub
            // (one jump less a call; the few symbols are bound at load).
            "-shared", "-fPIC", "-O2", "-fno-omit-frame-pointer", "-momit-leaf-frame-pointer", "-fno-plt",
            "-std=gnu11",
            "-I", hook.appending(path: "include").path, "-I", hook.path,
            "-o", output.path,
        ]
        arguments += sources.map(\.path)
        arguments += ["-lpthread", "-ldl"]
        return [
            .buildCommand(
                displayName: "Building libmemprof_preload.so (no Swift runtime)",
                executable: clang.url,
                arguments: arguments,
                inputFiles: sources + headers,
                outputFiles: [output]
            )
        ]
    }
}

