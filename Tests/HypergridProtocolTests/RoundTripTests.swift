import HypergridPrimitives
import HypergridProtocol
import HypergridSearchSpace
import HypergridTestSupport
import Testing
import HypergridData

@Suite struct RoundTripTests {
    /// Magic and version, the first four bytes of every frame.
    let header: [UInt8] = [0x48, 0x47, UInt8(WireFormat.version >> 8), UInt8(WireFormat.version & 0xFF)]

    /// Decoding an encoded message gives it back; re-encoding gives the same bytes.
    private func checkRoundTrip(_ message: Message) throws {
        let frame = try message.encoded()
        let decoded = try Message(decoding: frame)
        #expect(try decoded.encoded() == frame)
        #expect(decoded.type == message.type)
        // The synthesised == is false for NaN fields; the printed form shows every field
        // (Float/Double print exactly, NaN as "nan"/"snan"), so it compares them all.
        #expect(decoded == message || String(reflecting: decoded) == String(reflecting: message))
    }

    @Test(arguments: MessageType.allCases)
    func everyTypeRoundTrips(type: MessageType) throws {
        var factory = MessageFactory(seed: UInt64(type.rawValue))
        for _ in 0..<300 { try checkRoundTrip(factory.message(type)) }
    }

    @Test func typicalMessagesRoundTripExactly() throws {
        for message: Message in [
            .assign(sampleAssignment), .result(sampleReport(lossCount: 245)),
            .ready(WorkerHello(workerName: "gpu-3:1234", cpuFeatures: "x86-64-v3", threadCount: 2,
                               cachedDatasets: ["cifar10-std"])),
            .goodbye(abandoned: nil), .goodbye(abandoned: sampleAssignment.trialID),
            .datasetChunk(DatasetChunk(fingerprint: "f", index: 2, total: 3, bytes: [])),
        ] {
            try checkRoundTrip(message)
        }
        let hello = WorkerHello(workerName: "h:1", cpuFeatures: "", threadCount: 1)
        #expect(hello.numericsVersion == HypergridVersion.numerics)
    }

    @Test func nonFiniteLossesSurviveBitForBit() throws {
        var report = sampleReport(lossCount: 4)
        let signalling = Float(bitPattern: 0x7FA0_0001)
        report.outcome.history.loss = [.nan, signalling, -.infinity, -0.0]
        report.outcome.metrics.finalLoss = .nan
        let decoded = try Message(decoding: try Message.result(report).encoded())
        guard case .result(let back) = decoded else { Issue.record("decoded \(decoded)"); return }
        #expect(back.outcome.history.loss.map(\.bitPattern) == report.outcome.history.loss.map(\.bitPattern))
        #expect(back.outcome.metrics.finalLoss?.isNaN == true)
    }

    /// Pins the wire bytes of small messages: a change here breaks compatibility with
    /// deployed peers and needs a WireFormat.version bump.
    /// The protocol version, pinned: a wire change must be made on purpose (the field
    /// table's highest `wireVersion`, TrialFieldExtension).
    @Test func protocolVersion() {
        // 5: through the field table, training.random_crop, label_smoothing and weight_decay
        // (issue 19) and training.early_stop and early_stop_tol (issue 15).
        // 6: training.mixup (issue 19).
        #expect(WireFormat.version == 6)
    }

    @Test func goldenFrames() throws {
        #expect(try Message.heartbeat.encoded() == header + [0x40])
        #expect(try Message.noWork(retryAfterMilliseconds: 500).encoded()
                == header + [0x85, 0x00, 0x00, 0x01, 0xF4])
        #expect(try Message.refuse(reason: "no").encoded()
                == header + [0x83, 0x00, 0x00, 0x00, 0x02, 0x6E, 0x6F])
        #expect(try Message.datasetRequest(fingerprint: "ab", chunkIndex: 7).encoded()
                == header + [0x05, 0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 7])
        let id = String(repeating: "0f", count: 32)
        #expect(try Message.ack(TrialID(hex: id)!).encoded() == header + [0x82, 0, 0, 0, 64] + Array(id.utf8))
        // CRC-32 of "abc" is 0x352441C2.
        let chunk = DatasetChunk(fingerprint: "", index: 0, total: 1, bytes: Array("abc".utf8))
        #expect(try Message.datasetChunk(chunk).encoded()
                == header + [0x86, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                    0x35, 0x24, 0x41, 0xC2, 0, 0, 0, 3, 0x61, 0x62, 0x63])
    }

    /// The two messages added within protocol 4 for reliability (issue 17): new type bytes,
    /// laid out as `refuse` and `ack` are; the frames above did not change for them.
    @Test func goldenFramesOfQuarantineAndAbandon() throws {
        #expect(try Message.quarantine(reason: "no").encoded()
                == header + [0x88, 0x00, 0x00, 0x00, 0x02, 0x6E, 0x6F])
        let id = String(repeating: "0f", count: 32)
        #expect(try Message.abandon(TrialID(hex: id)!).encoded() == header + [0x89, 0, 0, 0, 64] + Array(id.utf8))
        #expect(MessageType.quarantine.sender == .coordinator && MessageType.abandon.sender == .coordinator)
    }

    /// The binary codec lists every stored property of these types; when the search space
    /// adds one, this fails until the codec encodes it and WireFormat.version is bumped.
    @Test func codecCoversEveryField() {
        func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label) }
        #expect(labels(TrialConfig()) == ["hidden", "batchNorm", "optimizer", "momentum", "learningRate",
                                          "learningRateDecay", "reg", "batchSize", "length", "initScheme",
                                          "seed", "lossEvery", "stopAfterEpochs", "refit", "dropout", "horizontalFlip",
                                          "schedule", "warmupEpochs"] + TrialField.extensions.map(\.added.propertyName))
        #expect(labels(DatasetSpec(kind: .mnist)) == ["kind", "path", "trainRows", "validationRows",
                                                     "testRows", "standardize", "pcaVariance", "file", "task"])
        #expect(labels(FileSourceSpec()) == ["label", "delimiter", "features", "exclude", "missing", "task", "x", "y",
                                             "images", "labels", "xName", "yName", "validationFraction",
                                             "testFraction", "testPath", "splitSeed"])
        #expect(labels(TrialMetrics(status: .done)) == ["status", "trainAccuracy", "validationAccuracy",
                                                       "testAccuracy", "finalLoss", "iterations",
                                                       "wallSeconds", "samplesPerSecond", "reason", "resumedAt",
                                                       "trainRegression", "validationRegression", "testRegression"])
        #expect(labels(TrialHistory()) == ["lossEvery", "loss", "trainAccuracy", "validationAccuracy", "validationRMSE"])
        #expect(labels(RegressionMetrics(rmse: 0, mae: 0, r2: 0)) == ["rmse", "mae", "r2"])
        #expect(DatasetSpec.Task.allCases.count == 2)
        #expect(labels(TrialOutcome(metrics: TrialMetrics(status: .done), history: TrialHistory()))
                == ["metrics", "history", "digest"])
        #expect(OptimizerKind.allCases.count == 4 && DatasetSpec.Kind.allCases.count == 8)
        #expect(RefitData.allCases.count == 2)
        #expect(labels(sampleAssignment) == ["trialID", "attempt", "config", "dataset", "datasetFingerprint",
                                             "saveCheckpoint", "saveModel", "sendDigest", "checkpoint", "token"])
        #expect(labels(sampleReport(lossCount: 1)) == ["trialID", "attempt", "token", "outcome", "checkpoint", "model"])
    }

    /// Pins where version 3 puts the token (right after the attempt) and the halving fields
    /// (the config's budget and refit after `lossEvery`; the checkpoint flag and blob last in
    /// `assign`, the checkpoint last in `result`, `resumedAt` after the reason).
    /// Every field added through the field table crosses the wire, off and on.
    @Test func fieldsAddedThroughTheTableRoundTrip() throws {
        for (field, added) in TrialField.extensions {
            for value in [added.off, added.example] {
                var assignment = sampleAssignment
                added.assign(value, to: &assignment.config)
                let decoded = try Message(decoding: try Message.assign(assignment).encoded())
                guard case .assign(let back) = decoded else { Issue.record("not an assignment"); continue }
                #expect(added.value(of: back.config) == value, "\(field.gridKey)")
            }
        }
    }

    @Test func goldenTokenAndHalvingFields() throws {
        var assignment = sampleAssignment
        assignment.token = [0xA5, 0x5A]
        assignment.config.stopAfterEpochs = 3
        assignment.config.refit = .train
        assignment.saveCheckpoint = true
        assignment.checkpoint = [7, 8, 9]
        let frame = try Message.assign(assignment).encoded()
        #expect(Array(frame[0..<5]) == header + [0x81])
        let afterID = 5 + 4 + 64
        #expect(Array(frame[afterID..<(afterID + 10)]) == [0, 0, 0, 1, 0, 0, 0, 2, 0xA5, 0x5A])
        #expect(Array(frame.suffix(9)) == [1, 1, 0, 0, 0, 3, 7, 8, 9])
        // lossEvery (10), stopAfterEpochs present (3), refit tag 2 (train), then dataset.kind 0.
        let lossEvery: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 10, 1, 0, 0, 0, 0, 0, 0, 0, 3, 2, 0]
        #expect(frame.indices.contains { frame[$0...].starts(with: lossEvery) })

        var report = TrialReport(trialID: assignment.trialID, attempt: 2, token: [0xEE], outcome: TrialOutcome(
            metrics: TrialMetrics(status: .done, iterations: 4), history: TrialHistory(lossEvery: 1)), checkpoint: [5])
        report.outcome.metrics.resumedAt = 2
        let result = try Message.result(report).encoded()
        #expect(Array(result[0..<5]) == header + [0x03])
        #expect(Array(result[afterID..<(afterID + 9)]) == [0, 0, 0, 2, 0, 0, 0, 1, 0xEE])
        #expect(Array(result.suffix(6)) == [1, 0, 0, 0, 1, 5])
        // No reason, then resumedAt present (2).
        let resumed: [UInt8] = [0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        #expect(result.indices.contains { result[$0...].starts(with: resumed) })
        report.checkpoint = nil
        #expect(try Message.result(report).encoded().last == 0)
    }

    /// A wide net's result travels whole: CIFAR-10's 3072-1024 net trained with Adam has a
    /// 151 MB halving checkpoint and a 50 MB model, which the 64 MiB limit of the seed's
    /// nets refused (the survivors of every rung retrained from scratch).
    @Test func aWideNetsCheckpointAndModelFitInOneFrame() throws {
        let report = TrialReport(trialID: sampleAssignment.trialID, attempt: 1, token: [1],
                                 outcome: TrialOutcome(metrics: TrialMetrics(status: .done, iterations: 1),
                                                       history: TrialHistory(lossEvery: 1)),
                                 checkpoint: [UInt8](repeating: 0xC5, count: 151_250_001),
                                 model: [UInt8](repeating: 0x3D, count: 50_488_235))
        let frame = try Message.result(report).encoded()
        guard case .result(let back) = try Message(decoding: frame) else {
            Issue.record("not a result")
            return
        }
        #expect(back.checkpoint?.count == 151_250_001 && back.model?.count == 50_488_235)
        #expect(back.checkpoint == report.checkpoint && back.model == report.model)
    }

    /// Verified results (issue 17 §3): an assignment asking for a digest sets bit 2 of its
    /// save byte, a result carrying one sets bit 2 of its parts byte and appends the 32 bytes
    /// last; without them both frames are byte for byte what they were.
    @Test func goldenDigestBits() throws {
        var assignment = sampleAssignment
        let plain = try Message.assign(assignment).encoded()
        assignment.sendDigest = true
        let asking = try Message.assign(assignment).encoded()
        #expect(asking.count == plain.count)
        let differing = asking.indices.filter { asking[$0] != plain[$0] }
        #expect(differing.count == 1 && asking[differing[0]] == plain[differing[0]] | 4)
        #expect(try Message(decoding: asking) == .assign(assignment))

        var report = sampleReport(lossCount: 2)
        let before = try Message.result(report).encoded()
        #expect(before.last == 0)
        report.outcome.digest = String(repeating: "0a", count: 32)
        let withDigest = try Message.result(report).encoded()
        #expect(Array(withDigest.prefix(before.count - 1)) == Array(before.dropLast()))
        #expect(Array(withDigest.suffix(37)) == [4, 0, 0, 0, 32] + [UInt8](repeating: 0x0a, count: 32))
        #expect(try Message(decoding: withDigest) == .result(report))
        report.outcome.digest = "not hex"
        #expect(throws: ProtocolError.self) { try Message.result(report).encoded() }
    }

    /// A classification result keeps its payload byte for byte (the layout below is the one
    /// before regression existed); a regression result sets the status tag's high bit and
    /// appends its block after the history. A built-in dataset's task does the same with the
    /// kind tag.
    @Test func regressionLeavesClassificationBytesAlone() throws {
        let id = String(repeating: "ab", count: 32)
        var outcome = TrialOutcome(metrics: TrialMetrics(status: .done, validationAccuracy: 0.5, iterations: 3),
                                   history: TrialHistory(lossEvery: 1, loss: [1]))
        let report = { (o: TrialOutcome) in TrialReport(trialID: TrialID(hex: id)!, attempt: 1, token: [], outcome: o, checkpoint: nil) }
        let classification = try Message.result(report(outcome)).encoded()
        // Status, four optionals, iterations, wall, rate, reason, resumedAt, lossEvery, one
        // loss, two empty accuracy curves, then no checkpoint.
        // (The header carries this build's version; the payload is version 4's.)
        var expected: [UInt8] = header + [0x03, 0, 0, 0, 64] + Array(id.utf8)
        expected += [0, 0, 0, 1, 0, 0, 0, 0]              // attempt 1, empty token
        expected += [0, 0, 1] + be(0.5.bitPattern) + [0, 0]   // done; train -, validation 0.5, test -, loss -
        expected += be(3) + be(0) + be(0) + [0, 0]        // iterations, wall, rate; reason -, resumedAt -
        expected += be(1) + [0, 0, 0, 1, 0x3F, 0x80, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0]
        #expect(classification == expected)

        outcome.metrics.validationAccuracy = nil
        outcome.metrics.validationRegression = RegressionMetrics(rmse: 2, mae: 1, r2: 0.25)
        outcome.history.validationRMSE = [3]
        let regression = try Message.result(report(outcome)).encoded()
        #expect(regression[5 + 4 + 64 + 8] == 0x80)
        let block: [UInt8] = [0, 1] + be(2.0.bitPattern) + be(1.0.bitPattern) + be(0.25.bitPattern)
            + [0, 1, 0, 0, 0, 1] + be(3.0.bitPattern)
        #expect(Array(regression.suffix(block.count + 1)) == block + [0])
        guard case .result(let decoded) = try Message(decoding: regression) else { Issue.record("not a result"); return }
        #expect(decoded.outcome == outcome)
        // The flag with nothing after it has no canonical meaning: refused.
        var flagOnly = classification
        flagOnly[5 + 4 + 64 + 8] = 0x80
        flagOnly.insert(contentsOf: [0, 0, 0, 0, 0], at: flagOnly.count - 1)
        #expect(throws: ProtocolError.self) { try Message(decoding: flagOnly) }

        // The dataset: no task, the bytes as before; synthetic regression, tag 0x83 and a 1 at the end.
        var assignment = sampleAssignment
        assignment.dataset = DatasetSpec(kind: .synthetic)
        let plain = try Message.assign(assignment).encoded()
        assignment.dataset.task = .regression
        let tagged = try Message.assign(assignment).encoded()
        #expect(tagged.count == plain.count + 1)
        let at = plain.indices.first { plain[$0] != tagged[$0] }!
        #expect(plain[at] == 3 && tagged[at] == 0x83)
        guard case .assign(let back) = try Message(decoding: tagged) else { Issue.record("not an assignment"); return }
        #expect(back.dataset.task == .regression)
    }

    private func be(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (56 - 8 * $0)) & 0xFF) } }

    @Test func sendersAreClassified() {
        #expect(MessageType.ready.sender == .worker)
        #expect(MessageType.datasetRequest.sender == .worker)
        #expect(MessageType.heartbeat.sender == .either)
        #expect(MessageType.assign.sender == .coordinator)
        #expect(MessageType.datasetUnavailable.sender == .coordinator)
    }

    @Test func crc32MatchesBitwiseReference() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        var rng = SplitMix64(seed: 7)
        for length in [1, 7, 8, 9, 15, 16, 17, 1000, 4099] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC32.checksum(data) == bitwiseCRC32(data), "length \(length)")
            let tail = data.dropFirst(3)  // a slice that does not start at index 0
            #expect(CRC32.checksum(tail) == bitwiseCRC32(Array(tail)), "slice of \(length)")
        }
    }
}

/// The textbook one-bit-at-a-time CRC-32, as an oracle for the table-driven one.
func bitwiseCRC32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
}
