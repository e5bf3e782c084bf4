import HypergridProtocol

/// Assembles a dataset that the coordinator sends one chunk per request, in order.
///
/// Each chunk's CRC-32 was already checked by the decoder; this checks that the chunks
/// form one consistent sequence (index expected next, the same total throughout). The
/// whole file is verified against its fingerprint later, when it is imported into the cache.
struct DatasetFetch: Sendable, Equatable {
    /// What one chunk did to the fetch.
    enum Step: Equatable {
        /// Accepted; request chunk `index` next.
        case requestNext(UInt32)
        /// Accepted and it was the last: here is the whole file.
        case complete([UInt8])
        /// Not the chunk expected next (a duplicate answer to a repeated request): ignored.
        case ignored(String)
        /// The sequence is inconsistent; the fetch cannot go on.
        case failed(String)
    }

    let fingerprint: String
    /// The chunk to request (or being waited for).
    private(set) var nextIndex: UInt32 = 0
    /// The chunk count, known from the first chunk.
    private(set) var total: UInt32?
    private(set) var bytes: [UInt8] = []
    /// When the outstanding request was sent.
    var requestedAt: Double
    /// Requests for `nextIndex` sent without an answer so far.
    var unanswered = 0

    init(fingerprint: String) {
        self.fingerprint = fingerprint
        requestedAt = 0
    }

    /// Notes that chunk `nextIndex` is being requested (again) at `time`.
    mutating func requested(at time: Double) {
        requestedAt = time
        unanswered += 1
    }

    /// Takes one chunk of this fetch's fingerprint (the caller routes by fingerprint).
    mutating func accept(_ chunk: DatasetChunk) -> Step {
        guard chunk.index == nextIndex else {
            return .ignored("chunk \(chunk.index) of dataset \(fingerprint.prefix(12)) arrived while waiting for chunk \(nextIndex)")
        }
        if let total, chunk.total != total {
            return .failed("chunk \(chunk.index) of dataset \(fingerprint.prefix(12)) says there are \(chunk.total) chunks, earlier chunks said \(total)")
        }
        total = chunk.total
        bytes.append(contentsOf: chunk.bytes)
        nextIndex += 1
        unanswered = 0
        if nextIndex == chunk.total {
            defer { bytes = [] }
            return .complete(bytes)
        }
        return .requestNext(nextIndex)
    }
}
