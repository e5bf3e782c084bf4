#if os(Linux) && arch(x86_64)
import Glibc
import Testing
import HypergridKernel

// Counting heap allocations. Every Swift heap allocation — class instance, array buffer,
// closure context, `UnsafeMutablePointer.allocate` — goes through the Swift runtime's
// `swift_slowAlloc`, which calls libc's `malloc` (or `posix_memalign` for large
// alignments) through libswiftCore's own GOT. We point those GOT entries at counting
// wrappers that forward to libc; calls are counted only on the thread that armed the
// counter, so tests running in parallel do not disturb a count. (Interposing `malloc` by
// defining it in the test executable does not work: the linker does not export it, and
// the runtime's `_swift_allocObject` hook breaks retain/release once overridden.)

nonisolated(unsafe) private var armedThread: pthread_t = 0
nonisolated(unsafe) private var allocationCount = 0

@inline(__always) private func noteAllocation() {
    if armedThread != 0 && pthread_equal(pthread_self(), armedThread) != 0 { allocationCount += 1 }
}

private let countingMalloc: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    noteAllocation()
    return malloc(size)
}
private let countingCalloc: @convention(c) (Int, Int) -> UnsafeMutableRawPointer? = { count, size in
    noteAllocation()
    return calloc(count, size)
}
private let countingRealloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { p, size in
    noteAllocation()
    return realloc(p, size)
}
private let countingPosixMemalign: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, Int) -> Int32 = {
    out, alignment, size in
    noteAllocation()
    return posix_memalign(out!, alignment, size)
}

/// Points libswiftCore's GOT entries for the allocation functions at the counting
/// wrappers; returns how many entries were patched (once per process).
private let patchedEntries: Int = {
    _ = (armedThread, allocationCount)   // initialise the globals before any wrapper runs
    let replacements: [String: UnsafeRawPointer] = [
        "malloc": unsafeBitCast(countingMalloc, to: UnsafeRawPointer.self),
        "calloc": unsafeBitCast(countingCalloc, to: UnsafeRawPointer.self),
        "realloc": unsafeBitCast(countingRealloc, to: UnsafeRawPointer.self),
        "posix_memalign": unsafeBitCast(countingPosixMemalign, to: UnsafeRawPointer.self),
    ]
    // A glibc dlopen handle is the library's `struct link_map *`: { l_addr, l_name, l_ld, … }.
    guard let handle = dlopen("libswiftCore.so", RTLD_NOLOAD | RTLD_LAZY) else { return 0 }
    let linkMap = handle.assumingMemoryBound(to: UInt.self)
    let base = linkMap[0]
    var dynamic = UnsafePointer<Elf64_Dyn>(bitPattern: linkMap[2])!
    var jmprel: UInt = 0, pltrelsz: UInt = 0, symtab: UInt = 0, strtab: UInt = 0
    while dynamic.pointee.d_tag != Int64(DT_NULL) {
        // glibc relocates these in place on x86-64; add the base if it has not.
        let value = UInt(dynamic.pointee.d_un.d_ptr)
        let address = value < base ? value + base : value
        switch dynamic.pointee.d_tag {
        case Int64(DT_JMPREL): jmprel = address
        case Int64(DT_PLTRELSZ): pltrelsz = value
        case Int64(DT_SYMTAB): symtab = address
        case Int64(DT_STRTAB): strtab = address
        default: break
        }
        dynamic += 1
    }
    guard jmprel != 0, symtab != 0, strtab != 0 else { return 0 }
    let relocations = UnsafePointer<Elf64_Rela>(bitPattern: jmprel)!
    let symbols = UnsafePointer<Elf64_Sym>(bitPattern: symtab)!
    let strings = UnsafePointer<CChar>(bitPattern: strtab)!
    var patched = 0
    for r in 0..<Int(pltrelsz) / MemoryLayout<Elf64_Rela>.stride {
        let symbol = symbols[Int(relocations[r].r_info >> 32)]
        guard let replacement = replacements[String(cString: strings + Int(symbol.st_name))] else { continue }
        let slot = UnsafeMutablePointer<UnsafeRawPointer>(bitPattern: base + UInt(relocations[r].r_offset))!
        let page = UInt(bitPattern: Int(bitPattern: slot)) & ~UInt(4095)
        guard mprotect(UnsafeMutableRawPointer(bitPattern: page), 4096, PROT_READ | PROT_WRITE) == 0 else { continue }
        slot.pointee = replacement
        patched += 1
    }
    return patched
}()

/// Where a test stores an object so that the optimizer cannot elide its allocation.
nonisolated(unsafe) private var escapedObject: AnyObject? = nil

/// The number of heap allocations `body` makes on this thread.
func countAllocations(_ body: () -> Void) -> Int {
    precondition(patchedEntries > 0, "could not hook libswiftCore's allocation calls")
    allocationCount = 0
    armedThread = pthread_self()
    body()
    armedThread = 0
    return allocationCount
}

// Serialized: the counter is one global, so two counting tests at once would see
// each other's allocations (counterSeesAllocations allocates on purpose).
@Suite(.serialized) struct AllocationTests {
    /// The counter sees allocations of every kind, so a zero below means something.
    @Test func counterSeesAllocations() {
        var keep: [[Float]] = []
        var raw: UnsafeMutableRawPointer? = nil
        let arrays = countAllocations {
            for k in 0..<3 { keep.append([Float](repeating: Float(k), count: 100 + k)) }
        }
        let aligned = countAllocations { raw = .allocate(byteCount: 4096, alignment: 64) }
        let object = countAllocations { escapedObject = MinibatchSampler(seed: 1, batchSize: 2, columns: 2) }
        #expect(arrays >= 3 && aligned == 1 && object >= 2)
        #expect(keep.count == 3)
        raw?.deallocate()
    }

    /// The same with a two-thread team, on shapes large enough that every pass is
    /// actually split (GEMMs, column passes, gather, the first layer's update): handing
    /// work to the team allocates nothing on the calling thread.
    @Test(arguments: [false, true])
    func trainingStepWithTeamAllocatesNothing(batchNorm: Bool) {
        let d = 200, rows = 400, batch = 200
        let shape = MLPShape(inputWidth: d, hidden: [256, 64], classCount: 10, batchNorm: batchNorm)
        let features = gaussianArray(rows * d, seed: 5).floats
        let labels = labelsArray(rows, classes: 10, seed: 6)
        let net = MLP(shape: shape, maxBatch: batch)
        net.initialize(.he, seed: 7)
        let team = ThreadTeam(threads: 2)
        net.team = team
        let sampler = MinibatchSampler(seed: 8, batchSize: batch, columns: d)
        let optimizer = Optimizer(rule: .adamDefaults, parameters: net.parameters)
        features.withUnsafeBufferPointer { f in
            labels.withUnsafeBufferPointer { l in
                var loss = 0.0, correct = 0
                func steps(_ count: Int) {
                    for _ in 0..<count {
                        sampler.next(features: f.baseAddress!, labels: l.baseAddress!, rows: rows, team: team)
                        loss += net.lossAndGradients(x: sampler.features, labels: sampler.labels, rows: batch)
                        loss += net.l2Penalty(reg: 1e-3)
                        optimizer.step(learningRate: 0.01, reg: 1e-3, team: team)
                    }
                    correct = net.countCorrect(x: f.baseAddress!, labels: l.baseAddress!, rows: rows)
                }
                steps(2)
                let count = countAllocations { steps(3) }
                #expect(count == 0, "bn=\(batchNorm): \(count) allocations")
                #expect(loss.isFinite && correct >= 0)
            }
        }
    }

    /// A full training step — sample and gather a batch, forward and backward, L2 term,
    /// optimizer update — and chunked evaluation perform no heap allocation, for every
    /// update rule, with and without BatchNorm.
    @Test(arguments: [false, true])
    func trainingStepAllocatesNothing(batchNorm: Bool) {
        let shape = MLPShape(inputWidth: 12, hidden: [16, 8], classCount: 5, batchNorm: batchNorm)
        let rows = 64, batch = 10
        let features = gaussianArray(rows * 12, seed: 1).floats
        let labels = labelsArray(rows, classes: 5, seed: 2)
        let net = MLP(shape: shape, maxBatch: 32)
        net.initialize(.he, seed: 3)
        let sampler = MinibatchSampler(seed: 4, batchSize: batch, columns: 12)
        for rule in [UpdateRule.sgd, .momentum(0.9), .nesterov(0.9), .adamDefaults] {
            let optimizer = Optimizer(rule: rule, parameters: net.parameters)
            features.withUnsafeBufferPointer { f in
                labels.withUnsafeBufferPointer { l in
                    var loss = 0.0, correct = 0
                    func steps(_ count: Int) {
                        for _ in 0..<count {
                            sampler.next(features: f.baseAddress!, labels: l.baseAddress!, rows: rows)
                            loss += net.lossAndGradients(x: sampler.features, labels: sampler.labels, rows: batch)
                            loss += net.l2Penalty(reg: 1e-3)
                            optimizer.step(learningRate: 0.01, reg: 1e-3)
                        }
                        correct = net.countCorrect(x: f.baseAddress!, labels: l.baseAddress!, rows: rows)
                    }
                    // One warm-up pass outside the count: a GEMM may size its per-thread
                    // packing workspace on first use.
                    steps(1)
                    let count = countAllocations { steps(5) }
                    #expect(count == 0, "\(rule) bn=\(batchNorm): \(count) allocations")
                    #expect(loss.isFinite && correct >= 0)
                }
            }
        }
    }

    /// The model features add nothing per step: dropout (in place forward, fused backward),
    /// the minibatch flip and random crop, label smoothing, MixUp and decoupled weight decay, alone
    /// and on a two-thread team, with and without BatchNorm.
    @Test(arguments: [(false, 1), (true, 1), (false, 2), (true, 2)])
    func trainingStepWithDropoutAndFlipAllocatesNothing(batchNorm: Bool, threads: Int) {
        let image = ImageShape(height: 16, width: 16, channels: 3)
        let d = image.featureCount, rows = 300, batch = 100
        let shape = MLPShape(inputWidth: d, hidden: [256, 64], classCount: 10, batchNorm: batchNorm)
        let features = gaussianArray(rows * d, seed: 5).floats
        let labels = labelsArray(rows, classes: 10, seed: 6)
        let net = MLP(shape: shape, maxBatch: batch)
        net.initialize(.he, seed: 7)
        net.dropout = DropoutSettings(rate: 0.3, seed: 7)
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        net.team = team
        let sampler = MinibatchSampler(seed: 8, batchSize: batch, columns: d)
        let flipper = HorizontalFlipper(shape: image, seed: 8, maxRows: batch)
        let cropper = RandomCropper(shape: image, padding: 4, seed: 8, maxRows: batch)
        net.labelSmoothing = 0.1
        let mixer = MixUpMixer(columns: d, alpha: 0.2, seed: 8, maxRows: batch)
        let optimizer = Optimizer(rule: .adamDefaults, parameters: net.parameters)
        features.withUnsafeBufferPointer { f in
            labels.withUnsafeBufferPointer { l in
                var loss = 0.0, step = 0
                func steps(_ count: Int) {
                    for _ in 0..<count {
                        sampler.next(features: f.baseAddress!, labels: l.baseAddress!, rows: rows, team: team)
                        flipper.apply(sampler.features, rows: batch, step: step, team: team)
                        cropper.apply(sampler.features, rows: batch, step: step, team: team)
                        let mixing = mixer.apply(x: sampler.features, labels: sampler.labels, rows: batch,
                                                 step: step, team: team)
                        loss += net.lossAndGradients(x: mixer.mixed, labels: sampler.labels, rows: batch,
                                                     step: step, mixUp: mixing)
                        optimizer.step(learningRate: 1e-3, reg: 1e-4, weightDecay: 0.05, team: team)
                        step += 1
                    }
                }
                steps(2)
                let count = countAllocations { steps(3) }
                #expect(count == 0, "bn=\(batchNorm) threads=\(threads): \(count) allocations")
                #expect(loss.isFinite)
            }
        }
    }

    /// A regression step — sample a batch and gather its targets, forward, squared error and
    /// backward, L2 term, update — and chunked predictions allocate nothing, on one thread and
    /// on a two-thread team, with and without BatchNorm.
    @Test(arguments: [(false, 1), (true, 1), (false, 2), (true, 2)])
    func regressionStepAllocatesNothing(batchNorm: Bool, threads: Int) {
        let d = 200, rows = 400, batch = 200, k = 2
        let shape = MLPShape(inputWidth: d, hidden: [256, 64], classCount: k, batchNorm: batchNorm,
                             loss: .meanSquaredError)
        let features = gaussianArray(rows * d, seed: 5).floats
        let labels = [Int32](repeating: 0, count: rows)
        let targets = gaussianArray(rows * k, seed: 6).floats
        var predicted = [Float](repeating: 0, count: rows * k)
        let net = MLP(shape: shape, maxBatch: batch)
        net.initialize(.he, seed: 7)
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        net.team = team
        let sampler = MinibatchSampler(seed: 8, batchSize: batch, columns: d, targetColumns: k)
        let optimizer = Optimizer(rule: .adamDefaults, parameters: net.parameters)
        features.withUnsafeBufferPointer { f in
            labels.withUnsafeBufferPointer { l in
                targets.withUnsafeBufferPointer { t in
                    predicted.withUnsafeMutableBufferPointer { p in
                        var loss = 0.0
                        func steps(_ count: Int) {
                            for _ in 0..<count {
                                sampler.next(features: f.baseAddress!, labels: l.baseAddress!, rows: rows, team: team)
                                sampler.gatherTargets(from: t.baseAddress!)
                                loss += net.lossAndGradients(x: sampler.features, targets: sampler.targets, rows: batch)
                                loss += net.l2Penalty(reg: 1e-3)
                                optimizer.step(learningRate: 1e-3, reg: 1e-3, team: team)
                            }
                            net.predictValues(x: f.baseAddress!, rows: rows, into: p.baseAddress!)
                        }
                        steps(2)
                        let count = countAllocations { steps(3) }
                        #expect(count == 0, "bn=\(batchNorm) threads=\(threads): \(count) allocations")
                        #expect(loss.isFinite)
                    }
                }
            }
        }
    }
}
#endif
