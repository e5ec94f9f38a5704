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
        let names = ["counters.c", "interpose.c", "shared_state.c", "heap_stats.c", "trace.c", "sampler.c", "events.c"]
        let sources = names.map { hook.appending(path: $0) }
        let headers = ["state.h", "accounting.h", "sampler.h", "module_table.h", "line_reader.h", "hooked_symbols.def", "include/memprof_hook.h"]
            .map { hook.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "libmemprof_preload.so")
        var arguments = [
            "-shared", "-fPIC", "-O2", "-fno-omit-frame-pointer", "-std=gnu11",
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
