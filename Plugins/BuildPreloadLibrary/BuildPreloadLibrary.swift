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
        // Every C file and header of the hook: a new file needs no change here.
        guard let hookTarget = try context.package.targets(named: ["CMemprofHook"]).first as? SourceModuleTarget else {
            throw BuildPreloadLibraryError.noHookTarget
        }
        let files = hookTarget.sourceFiles.map(\.url).sorted { $0.path < $1.path }
        let sources = files.filter { $0.pathExtension == "c" }
        // Headers, plus the files the target excludes from its own build but includes.
        var headers = files.filter { $0.pathExtension == "h" }
        for extra in ["include/memprof_hook.h", "hooked_symbols.def", "module_table.h"]
        where !headers.contains(where: { $0.path.hasSuffix("/" + extra) }) {
            headers.append(hook.appending(path: extra))
        }
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

enum BuildPreloadLibraryError: Error, CustomStringConvertible {
    case noHookTarget
    var description: String { "BuildPreloadLibrary: the package has no CMemprofHook C target" }
}
