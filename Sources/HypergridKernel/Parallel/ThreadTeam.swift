#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// One piece of parallel work: `run(part:)` is called once for every part, each on
/// some thread of a ``ThreadTeam``.
///
/// Jobs are objects, allocated once by their owner (the MLP, the optimizer, the
/// sampler, the team itself for GEMMs) and refilled before every `run`, rather than
/// closures: handing a closure to another thread needs it escaping, and
/// `withoutActuallyEscaping` heap-allocates a context on every call, which would break
/// the allocation-free training step.
open class TeamJob {
    public init() {}

    /// Does part `part`. Parts must be independent of each other.
    open func run(part: Int) {}
}

/// A job over the contiguous ranges of `0..<length` that
/// ``ThreadTeam/forEachRange(_:unit:minimum:_:)`` hands out.
open class RangeJob: TeamJob {
    var length = 0, unit = 1, parts = 1

    /// Does the elements `range`.
    open func run(range: Range<Int>) {}

    /// Range of part `part`: bounds on multiples of `unit` (except the end), even split.
    final func range(_ part: Int) -> Range<Int> {
        let units = (length + unit - 1) / unit
        let lo = min(length, units * part / parts * unit)
        let hi = min(length, units * (part + 1) / parts * unit)
        return lo..<max(lo, hi)
    }

    public final override func run(part: Int) {
        let r = range(part)
        if !r.isEmpty { run(range: r) }
    }
}

/// A fixed team of threads that share the work of one training step: the calling
/// thread plus `count - 1` workers started at `init` and stopped at `deinit`.
///
/// Why not Dispatch: a training step hands out ten to twenty pieces of work of
/// 10–2,000 µs each. Waking a sleeping pool thread per piece costs a futex wake
/// and a context switch (tens of µs on a loaded machine), so between pieces the
/// workers spin for a while (``spinBudget``) and only then sleep on a condition
/// variable. `run` allocates nothing, so a training step stays allocation-free.
///
/// Which thread runs which part never changes results: callers only split work
/// whose parts are independent (rows or columns of a GEMM, rows of an elementwise
/// pass, columns of a column reduction).
///
/// Not reentrant: `run` must not be called from inside a job, and one team serves
/// one calling thread at a time.
public final class ThreadTeam: @unchecked Sendable {
    /// Threads taking part in `run`, the caller included.
    public let count: Int
    /// The team's GEMM job (see `gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:team:)`).
    let gemmJob = GEMMTeamJob()
    private let shared: TeamShared
    private var workers: [pthread_t] = []

    /// A team of `threads` threads (at least 1; 1 runs everything inline).
    public init(threads: Int) {
        precondition(threads >= 1, "a team needs at least one thread")
        count = threads
        shared = TeamShared(workers: threads - 1)
        for index in 1..<max(threads, 1) {
            let context = Unmanaged.passRetained(WorkerContext(shared: shared, index: index))
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                // Safe: `raw` is the retained WorkerContext passed below.
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.shared.workerLoop(index: context.index)
                return nil
            }, context.toOpaque())
            precondition(status == 0, "pthread_create failed: \(status)")
            workers.append(thread)
        }
    }

    deinit {
        shared.stop()
        for thread in workers { pthread_join(thread, nil) }
    }

    /// Runs `job.run(part:)` for every `part` in `0..<parts` and returns when all have
    /// finished. Part `p` runs on team thread `p % count` (thread 0 is the caller).
    public func run(parts: Int, _ job: TeamJob) {
        if count == 1 || parts <= 1 {
            for part in 0..<parts { job.run(part: part) }
            return
        }
        withExtendedLifetime(job) {
            shared.start(job: Unmanaged.passUnretained(job), parts: parts)
            var part = 0
            while part < parts {
                job.run(part: part)
                part += count
            }
            shared.waitForWorkers()
        }
    }

    /// Splits `0..<length` into at most `count` contiguous ranges whose bounds
    /// are multiples of `unit` (except the end), each at least `minimum` long
    /// where possible, and runs `job.run(range:)` for each (inline when one range).
    public func forEachRange(_ length: Int, unit: Int = 1, minimum: Int = 1, _ job: RangeJob) {
        let units = (length + unit - 1) / unit
        let parts = max(1, min(count, units, length / max(minimum, 1)))
        if parts == 1 {
            if length > 0 { job.run(range: 0..<length) }
            return
        }
        (job.length, job.unit, job.parts) = (length, unit, parts)
        run(parts: parts, job)
    }
}

/// Elements (floats) of an elementwise or column pass below which a part is not
/// worth handing to another thread (a few µs of work against ~1 µs of hand-off).
let minimumElementsPerThread = 16_384

/// Iterations a waiting thread polls before it yields, and yields before it sleeps.
/// At ~1 ns per poll this is ~50 µs of spinning: longer than the gaps between the
/// pieces of one training step, far shorter than the gaps between trainings.
private let spinBudget = 50_000
private let yieldBudget = 50

private final class WorkerContext {
    let shared: TeamShared
    let index: Int
    init(shared: TeamShared, index: Int) {
        self.shared = shared
        self.index = index
    }
}

/// The state the caller and the workers share. Publication order: the caller
/// writes `job`/`parts`, then bumps `generation` (releasing); a worker that
/// sees the new generation (acquiring) reads them, runs its parts, and
/// decrements `remaining` (releasing); the caller waits (acquiring) for 0.
private final class TeamShared: @unchecked Sendable {
    let workerCount: Int
    let generation = Atomic<Int>(0)
    let remaining = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    /// The caller's job for the duration of one `run` (kept alive by the caller).
    var job: Unmanaged<TeamJob>? = nil
    var parts = 0
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    let wake: UnsafeMutablePointer<pthread_cond_t>

    init(workers: Int) {
        workerCount = workers
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
    }

    func start(job: Unmanaged<TeamJob>, parts: Int) {
        self.job = job
        self.parts = parts
        remaining.store(workerCount, ordering: .relaxed)
        // Bumped under the mutex so that a worker about to sleep either sees the new
        // generation or is already waiting and gets the broadcast.
        pthread_mutex_lock(mutex)
        generation.wrappingAdd(1, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    func waitForWorkers() {
        var polls = 0
        while remaining.load(ordering: .acquiring) != 0 {
            polls += 1
            if polls > spinBudget { sched_yield() }
        }
        job = nil
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping.store(true, ordering: .releasing)
        generation.wrappingAdd(1, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            seen = waitForGeneration(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            // Safe: the caller keeps `job` alive until every worker has decremented
            // `remaining`, which happens only after this loop.
            let job = self.job!.takeUnretainedValue()
            var part = index
            while part < parts {
                job.run(part: part)
                part += workerCount + 1
            }
            remaining.wrappingSubtract(1, ordering: .releasing)
        }
    }

    /// Spins, then yields, then sleeps until `generation` differs from `seen`.
    private func waitForGeneration(after seen: Int) -> Int {
        var polls = 0
        while polls < spinBudget + yieldBudget {
            let g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            polls += 1
            if polls > spinBudget { sched_yield() }
        }
        pthread_mutex_lock(mutex)
        var g = generation.load(ordering: .acquiring)
        while g == seen {
            pthread_cond_wait(wake, mutex)
            g = generation.load(ordering: .acquiring)
        }
        pthread_mutex_unlock(mutex)
        return g
    }
}
