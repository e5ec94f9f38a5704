#if canImport(Glibc)
import Glibc
#endif
import Memprof
import Synchronization

private let stopSending = Atomic<Bool>(false)
private let handledSignals = Atomic<Int>(0)
nonisolated(unsafe) private var signalTarget = pthread_self()

/// A signal handler that allocates and frees, on the thread that keeps moving the sampling
/// rate between 1 and 512 KiB. Leaving rate 1 locks every shard of the live table while the
/// filter is counted again; a handler running then on that thread, whose free falls in a page
/// rate 1 left stuck, must not wait for locks its own thread holds. The signal is let in only
/// while the rate changes (a handler that interrupted glibc's own malloc would deadlock in
/// glibc, with or without us). Prints `ok`, the rounds and the signals handled; a hang is the
/// failure.
func rateSignalsRun(rounds: Int) -> String {
    signal(SIGUSR1) { _ in
        for size in [24, 64, 200] { free(malloc(size)) }
        handledSignals.add(1, ordering: .relaxed)
    }
    signalTarget = pthread_self()
    var sender = pthread_t()
    pthread_create(&sender, nil, { _ in
        while !stopSending.load(ordering: .relaxed) {
            pthread_kill(signalTarget, SIGUSR1)
            usleep(20)
        }
        return nil
    }, nil)
    var kept: [UnsafeMutableRawPointer] = []
    kept.reserveCapacity(1024)
    var usr1 = sigset_t()
    sigemptyset(&usr1)
    sigaddset(&usr1, SIGUSR1)
    pthread_sigmask(SIG_BLOCK, &usr1, nil)
    for round in 0..<rounds {
        HeapProfile.samplingRate = 1
        for i in 0..<64 { kept.append(malloc(16 + (round + i) % 200)!) }
        if kept.count > 512 {
            for p in kept.prefix(256) { free(p) }
            kept.removeFirst(256)
        }
        pthread_sigmask(SIG_UNBLOCK, &usr1, nil)
        HeapProfile.samplingRate = 524_288
        pthread_sigmask(SIG_BLOCK, &usr1, nil)
    }
    stopSending.store(true, ordering: .relaxed)
    pthread_join(sender, nil)
    pthread_sigmask(SIG_UNBLOCK, &usr1, nil)
    for p in kept { free(p) }
    signal(SIGUSR1, SIG_DFL)
    return "ok \(rounds) rounds, \(handledSignals.load(ordering: .relaxed)) signals handled"
}
