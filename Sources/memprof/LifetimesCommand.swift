import ArgumentParser
import MemprofAnalysis

/// `memprof lifetimes FILE`: how long each site's blocks lived, and how many were temporaries.
struct LifetimesCommand: ReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifetimes",
        abstract: "How long each allocation site's blocks lived, and the share that were temporaries.",
        discussion: """
            Example:
              memprof run --rate 1 -o heap.pb.gz -- ./app
              memprof lifetimes heap.pb.gz
               allocated      freed       live  temporary     median        p90  site
                   20000      20000          0     100.0%       <1us   1us-10us  churnTemporaries

            A temporary is a block freed before its thread allocated anything else: a
            loop that allocates and frees it each time spends its time in malloc.
            Lifetimes are classes by powers of ten; `live` blocks were not freed.
            Below a rate of 64 KiB one block in 16 is timed after a site's first 64,
            and the classes of the others follow the timed ones of their site.
            """
    )

    @OptionGroup var flags: ProfileOptions

    /// -n N: sites to show (20 by default, 0 for all).
    func makeReport() -> any Report { LifetimesReport(count: flags.nodeCount ?? 20) }
}
