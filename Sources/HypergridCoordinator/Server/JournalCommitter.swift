import Foundation
import HypergridResults
import ZeroMQ

/// Makes batches of journal records durable on a thread of its own, one batch at a time,
/// so that the socket loop keeps receiving results and handing out trials while an fsync
/// is in flight; the records that arrive meanwhile make up the next batch.
///
/// Why a thread: an fsync took 1.6–4 ms on the machines measured, and a loop that waits
/// for it after every drain of the socket records at most a few hundred results a second
/// with one worker, whatever the worker's speed. The durability rule does not change:
/// the loop confirms a record to the scheduler (which only then acknowledges the result)
/// after ``takeCompleted()`` or ``waitForCompletion()`` returned the batch that holds it.
///
/// A batch also carries its results' files (``ResultFiles``), which the committer writes
/// before it appends the records, so that a file is durable before its result's record.
///
/// Threads: the loop thread calls every method; the committer thread only writes. While a
/// batch is in flight only the committer thread touches the journal and the file writer;
/// otherwise only the loop thread does (``waitForCompletion()`` first). The hand-over goes
/// through `lock`.
final class JournalCommitter: @unchecked Sendable {
    /// What became of a submitted batch: `error` is nil when every record is durable.
    struct Completion {
        var batch: [JournalRecord]
        var error: Error?
    }

    private let journal: Journal
    private let files: ResultFileWriter
    private let lock = NSCondition()
    // Guarded by `lock`.
    private var queued: (records: [JournalRecord], files: [ResultFiles])?
    private var completed: Completion?
    private var stopping = false
    /// Loop thread only: a batch was submitted and not yet taken back.
    private(set) var inFlight = false
    /// Receives one empty frame per completed batch: the loop polls it with its socket.
    let wakeUp: Socket
    /// The committer thread's end of the wake-up pair (that thread alone uses it).
    private let signal: Socket
    private let exited = DispatchSemaphore(value: 0)

    init(journal: Journal, files: ResultFileWriter, context: Context) throws {
        self.journal = journal
        self.files = files
        // Polled together with the ROUTER socket.
        (wakeUp, signal) = try Socket.wakeUpPair(context, endpoint: "inproc://hypergrid-journal-committer-\(UUID().uuidString)")
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "journal-committer"
        thread.start()
    }

    /// Hands `batch`, and the files of its results, to the committer thread; at most one
    /// batch is in flight.
    func submit(_ batch: [JournalRecord], files: [ResultFiles]) {
        precondition(!inFlight, "one journal batch at a time")
        lock.lock()
        queued = (batch, files)
        lock.signal()
        lock.unlock()
        inFlight = true
    }

    /// The in-flight batch's completion if it has completed, without waiting.
    func takeCompleted() -> Completion? {
        while (try? wakeUp.receive(dontWait: true)) != nil {}   // EAGAIN ends the drain
        guard inFlight else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let done = completed else { return nil }
        completed = nil
        inFlight = false
        return done
    }

    /// Waits for the in-flight batch, if any, and returns its completion.
    func waitForCompletion() -> Completion? {
        guard inFlight else { return nil }
        lock.lock()
        while completed == nil { lock.wait() }
        let done = completed!
        completed = nil
        lock.unlock()
        inFlight = false
        while (try? wakeUp.receive(dontWait: true)) != nil {}
        return done
    }

    /// Ends the committer thread after the batch in flight (whose completion is dropped:
    /// call ``waitForCompletion()`` first to act on it), and closes the wake-up pair.
    func stop() {
        lock.lock()
        stopping = true
        lock.signal()
        lock.unlock()
        exited.wait()
        wakeUp.close()
        signal.close()
    }

    private func serve() {
        defer { exited.signal() }
        while true {
            lock.lock()
            while queued == nil && !stopping { lock.wait() }
            guard let (batch, batchFiles) = queued else { lock.unlock(); return }
            queued = nil
            lock.unlock()
            files.write(batchFiles)
            var failure: Error?
            do { try journal.append(contentsOf: batch) } catch { failure = error }
            lock.lock()
            completed = Completion(batch: batch, error: failure)
            lock.broadcast()
            lock.unlock()
            // Cannot fail short of a closed context; the loop also polls on a timeout.
            try? signal.send([[]], dontWait: true)
        }
    }
}
