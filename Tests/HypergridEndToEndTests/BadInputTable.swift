import Foundation
import HypergridProtocol
import Testing

/// One bad input a user might give, and exactly what they get back. The rows are the
/// source of `docs/bad-inputs.md` (`BadInputEndToEndTests` checks that the two agree).
///
/// `$DIR` stands for the test's scratch directory (fixtures in ``BadInputFixtures``) and
/// `$PORT` for a port the row's setup provides.
struct BadInput: Sendable, CustomTestStringConvertible {
    /// What is wrong, for the table.
    var what: String
    /// The command line: `NAME=value` environment settings, then `hypergrid` and its arguments.
    var command: String
    /// The exact line the user sees for it.
    var message: String
    var status: Int32
    var setup: Setup = .files

    enum Setup: Sendable {
        /// Only the fixture files.
        case files
        /// `hypergrid keygen $DIR/keys/coordinator` and `$DIR/keys/worker` first.
        case keys
        /// A prepared dataset in `$DIR/cache` whose cache file is then damaged.
        case corruptCache
        /// Something else listens on `$PORT`.
        case portInUse
        /// Nothing listens on `$PORT`.
        case closedPort
        /// A fake coordinator on `$PORT` answers anything with a `refuse` of this protocol
        /// version and reason (`$NUMERICS` replaced by the worker's numerics).
        case fakeCoordinator(version: UInt16, reason: String)
    }

    var testDescription: String { what }
}

enum BadInputTable {
    /// A `refuse` frame of protocol `version`.
    static func refusal(version: UInt16, _ reason: String) -> [UInt8] {
        let text = Array(reason.utf8)
        let length = UInt32(text.count)
        return [0x48, 0x47, UInt8(version >> 8), UInt8(version & 0xFF), 0x83,
                UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + text
    }

    static let rows: [BadInput] = [
        // Grid files.
        BadInput(what: "malformed YAML", command: "hypergrid run --grid $DIR/malformed.yaml",
                 message: "Error: $DIR/malformed.yaml:2: is not valid YAML (did not find expected ',' or '}')", status: 1),
        BadInput(what: "a value of the wrong type", command: "hypergrid run --grid $DIR/wrong-type.yaml",
                 message: "Error: $DIR/wrong-type.yaml:3: training.learning_rate: must be a number, got 'fast'", status: 1),
        BadInput(what: "an unknown key", command: "hypergrid run --grid $DIR/unknown-key.yaml",
                 message: "Error: $DIR/unknown-key.yaml:2: model.activation: unknown key; expected one of batch_norm, dropout, hidden, init", status: 1),
        BadInput(what: "an empty grid (an empty list of values)", command: "hypergrid run --grid $DIR/empty-list.yaml",
                 message: "Error: $DIR/empty-list.yaml:3: training.learning_rate: is an empty list; give at least one value", status: 1),
        BadInput(what: "an empty grid file", command: "hypergrid coordinator --grid $DIR/empty.yaml",
                 message: "Error: $DIR/empty.yaml: is empty; it needs at least a dataset and a model or training section", status: 1),
        BadInput(what: "a grid file that does not exist", command: "hypergrid run --grid $DIR/nope.yaml",
                 message: "Error: $DIR/nope.yaml: no such file", status: 1),
        // Data.
        BadInput(what: "a missing dataset", command: "hypergrid run --grid $DIR/missing-data.yaml --run-dir $DIR/run",
                 message: "Error: The CIFAR-10 directory $DIR/no-such-dir does not exist or is not a directory.", status: 1),
        BadInput(what: "a truncated dataset", command: "hypergrid train --dataset cifar10 --data $DIR/truncated --no-cache",
                 message: "Error: CIFAR-10 file $DIR/truncated/data_batch_1.bin is truncated at record 0: its 1,000 bytes are not a whole number of 3,073-byte records.",
                 status: 1),
        BadInput(what: "a corrupt cache file (recomputed, not used)",
                 command: "hypergrid train --dataset synthetic --train-rows 300 --validation-rows 50 --test-rows 50 --iterations 5 --cache-dir $DIR/cache",
                 message: "corrupt cache rebuilt: Cache file $DIR/cache/$CACHEFILE is corrupt: its CRC-32 does not match its contents; preparing synthetic again.",
                 status: 0, setup: .corruptCache),
        // Flags.
        BadInput(what: "a non-numeric flag", command: "hypergrid run --grid $DIR/good.yaml --heartbeat abc",
                 message: "Error: The value 'abc' is invalid for '--heartbeat <heartbeat>'", status: 64),
        BadInput(what: "a flag out of range", command: "hypergrid run --grid $DIR/good.yaml --workers 0",
                 message: "Error: --workers must be at least 1, got 0.", status: 64),
        BadInput(what: "a negative learning rate", command: "hypergrid train --lr=-1",
                 message: "Error: --lr must be positive, got -1.0.", status: 64),
        BadInput(what: "an unknown dataset", command: "hypergrid train --dataset imagenet",
                 message: "Error: --dataset must be one of cifar10, fashion-mnist, mnist, synthetic; got 'imagenet'.", status: 64),
        BadInput(what: "an unknown output format", command: "hypergrid leaderboard $DIR --format xml",
                 message: "Error: --format must be one of table, csv, json; got 'xml'.", status: 64),
        BadInput(what: "an unknown GEMM kernel in HYPERGRID_KERNEL",
                 command: "HYPERGRID_KERNEL=avx1024 hypergrid train --dataset synthetic --iterations 5 --no-cache",
                 message: "Error: HYPERGRID_KERNEL='avx1024' is not a kernel; use avx2 or avx512, or unset it for the widest this CPU runs",
                 status: 64),
        // Where the coordinator listens and writes.
        BadInput(what: "a public address without encryption", command: "hypergrid coordinator --grid $DIR/good.yaml --bind tcp://0.0.0.0:5555",
                 message: "Error: --bind tcp://0.0.0.0:5555 is not a loopback address: give --key and --authorized-keys to encrypt it, or pass --insecure to serve it without encryption.",
                 status: 64),
        BadInput(what: "a port in use",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --run-dir $DIR/run --cache-dir $DIR/cache --bind tcp://127.0.0.1:$PORT",
                 message: "Error: cannot bind tcp://127.0.0.1:$PORT: Address already in use", status: 1, setup: .portInUse),
        BadInput(what: "an unwritable run directory", command: "hypergrid run --grid $DIR/good.yaml --run-dir $DIR/a-file/run",
                 message: "Error: cannot create the run directory $DIR/a-file/run: Not a directory.", status: 1),
        BadInput(what: "a run directory to read that does not exist", command: "hypergrid leaderboard $DIR/no-run",
                 message: "Error: cannot read $DIR/no-run: No such file or directory (errno 2)", status: 1),
        // Keys.
        BadInput(what: "a missing key file",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/keys/missing.key --authorized-keys $DIR/keys",
                 message: "Error: Cannot read key file $DIR/keys/missing.key: no such file.", status: 1, setup: .keys),
        BadInput(what: "a key of the wrong length",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/short.key --authorized-keys $DIR/keys",
                 message: "Error: Key file $DIR/short.key holds 3 characters, not the 40 Z85 characters of a CURVE key.", status: 1, setup: .keys),
        BadInput(what: "a garbled key (not Z85)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:5555 --key $DIR/garbled.key --coordinator-key $DIR/keys/coordinator.pub",
                 message: "Error: Key file $DIR/garbled.key is not a CURVE key: it has characters outside the Z85 alphabet.", status: 1, setup: .keys),
        BadInput(what: "--key without --authorized-keys", command: "hypergrid run --grid $DIR/good.yaml --key $DIR/keys/coordinator.key",
                 message: "Error: --key and --authorized-keys go together: give both (CurveZMQ) or neither (plain TCP).", status: 64),
        BadInput(what: "an authorized-keys directory without .pub files",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/keys/coordinator.key --authorized-keys $DIR/no-keys",
                 message: "Error: The authorized keys directory $DIR/no-keys holds no .pub files, so no worker could connect.", status: 1, setup: .keys),
        BadInput(what: "a worker key without the coordinator's", command: "hypergrid worker --connect tcp://127.0.0.1:5555 --key $DIR/keys/worker.key",
                 message: "Error: --key and --coordinator-key go together: give both (CurveZMQ) or neither (plain TCP).", status: 64),
        BadInput(what: "keygen over an existing key", command: "hypergrid keygen $DIR/keys/coordinator",
                 message: "Error: $DIR/keys/coordinator.key already exists; pass --force to replace it.", status: 1, setup: .keys),
        // The coordinator from a worker's side.
        BadInput(what: "a malformed coordinator address", command: "hypergrid worker --connect 10.0.0.5:5555",
                 message: "Error: --connect '10.0.0.5:5555' is not a coordinator address: it is not of the form tcp://HOST:PORT; use tcp://HOST:PORT, e.g. tcp://10.0.0.5:5555.",
                 status: 64),
        BadInput(what: "an unreachable coordinator", command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2 --give-up-after 1",
                 message: "No coordinator answered at tcp://127.0.0.1:$PORT in 1 s; is it running and reachable from here?", status: 5,
                 setup: .closedPort),
        BadInput(what: "a coordinator of another protocol version (played by the test)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2",
                 message: "The coordinator at tcp://127.0.0.1:$PORT speaks protocol 99, this worker speaks $VERSION; it said: this coordinator speaks protocol 99.",
                 status: 4, setup: .fakeCoordinator(version: 99, reason: "this coordinator speaks protocol 99")),
        BadInput(what: "a coordinator of other numerics (played by the test)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2",
                 message: "The coordinator at tcp://127.0.0.1:$PORT refused this worker: numerics $NUMERICS differ from the coordinator's hg-numerics-0.",
                 status: 3, setup: .fakeCoordinator(version: WireFormat.version, reason: "numerics $NUMERICS differ from the coordinator's hg-numerics-0")),
    ]
}
