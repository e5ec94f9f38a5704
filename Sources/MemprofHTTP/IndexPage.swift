/// The HTML page of `/debug/pprof/`, laid out like Go's: a table of the profiles with links
/// to their text form and a description of each, plus links to the other memprof routes.
enum IndexPage {
    struct Entry {
        var name: String
        var href: String
        var description: String
    }

    static let profiles = [
        Entry(name: "allocs", href: "allocs?debug=1",
              description: "A sampling of all past memory allocations (default sample type alloc_space)."),
        Entry(name: "cmdline", href: "cmdline",
              description: "The command line invocation of the current program."),
        Entry(name: "delta_heap", href: "delta_heap",
              description: "The heap profile with alloc_* counted since the previous request of this route "
                  + "(Pyroscope's godeltaprof, for Grafana Alloy's godeltaprof_memory); inuse_* as /heap."),
        Entry(name: "heap", href: "heap?debug=1",
              description: "A sampling of memory allocations of live objects. You can specify the gc GET parameter "
                  + "to give free memory back to the operating system (malloc_trim) before taking the heap sample."),
        Entry(name: "peak", href: "peak?debug=1",
              description: "The heap at its high-water mark: the sampled blocks live when live heap bytes were largest "
                  + "(within 2% of the true peak)."),
    ]

    static let others = [
        Entry(name: "memstats", href: "/debug/memstats",
              description: "MemStats and ProcessMemory (with the smaps breakdown of RSS) as JSON."),
        Entry(name: "metrics", href: "/metrics", description: "The main figures in the Prometheus text format."),
    ]

    static let html: String = {
        var page = """
        <html>
        <head>
        <title>/debug/pprof/</title>
        <style>
        .profile-name{
        \tdisplay:inline-block;
        \twidth:6rem;
        }
        </style>
        </head>
        <body>
        /debug/pprof/
        <br>
        <p>Set debug=1 as a query parameter to export in legacy text format</p>
        <br>
        Types of profiles available:
        <table>
        <thead><td>Profile</td></thead>

        """
        for p in profiles {
            page += "<tr><td><a href='\(p.href)'>\(p.name)</a></td></tr>\n"
        }
        page += "</table>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n"
        for p in profiles {
            page += "<li><div class=profile-name>\(p.name): </div> \(p.description)</li>\n"
        }
        page += "</ul>\n</p>\n<p>\nOther endpoints:\n<ul>\n"
        for p in others {
            page += "<li><div class=profile-name><a href='\(p.href)'>\(p.name)</a>: </div> \(p.description)</li>\n"
        }
        page += "</ul>\n</p>\n</body>\n</html>\n"
        return page
    }()
}
