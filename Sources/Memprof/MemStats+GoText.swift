extension MemStats {
    /// The block Go's `/debug/pprof/heap?debug=1` appends after the samples, with the fields
    /// this library has (see the README for what each one means here).
    public var goStyleTrailer: String {
        """

        # runtime.MemStats
        # Alloc = \(alloc)
        # TotalAlloc = \(totalAlloc)
        # Sys = \(sys)
        # Mallocs = \(mallocs)
        # Frees = \(frees)
        # HeapAlloc = \(heapAlloc)
        # HeapSys = \(heapSys)
        # HeapIdle = \(heapIdle)
        # HeapInuse = \(heapInuse)
        # HeapReleased = \(heapReleased)
        # HeapObjects = \(heapObjects)
        # PeakAlloc = \(peakAlloc)
        # TotalRequested = \(totalRequested)
        # BuckHashSys = \(buckHashSys)
        # ProfilerHeap = \(profilerHeap)

        """
    }
}
